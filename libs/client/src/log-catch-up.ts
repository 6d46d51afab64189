import type { LogEntry } from '@chat/contracts';
import { type BackoffOptions, backoffDelayMs, sleep } from './backoff.js';
import type { Connection } from './connection.js';
import type { ConversationState } from './conversation-state.js';
import { asClientError } from './errors.js';

/** `log.get` allows up to 500 entries a page. */
export const LOG_PAGE_ENTRIES = 500;
/**
 * Entries announced but not readable yet (a listing counted a seq whose write is a moment from
 * visible): try again this many times, waiting longer each time, before leaving it to the next
 * connect.
 */
const EMPTY_PAGE_RETRIES = 20;
const EMPTY_PAGE_WAIT_MS = 50;
const EMPTY_PAGE_MAX_WAIT_MS = 1_000;

export interface CatchUpHooks {
  /** Applies a fetched entry as a push is applied (through the conversation's sequencer). */
  apply(entry: LogEntry): void;
  /** `log.get` said the user may not read it (no longer a member). */
  lost(conversation: ConversationState): void;
}

/**
 * Fetches what a conversation is missing with `log.get`, page after page from the seq it holds,
 * until the server has nothing more: the resume after a connect, and the repair of a gap in the
 * pushes. One fetch per conversation at a time; asking again while one runs is free.
 */
export class LogCatchUp {
  readonly #connection: Connection;
  readonly #hooks: CatchUpHooks;
  readonly #backoff: BackoffOptions;
  readonly #running = new Set<string>();
  /** Asked again while running: one more pass after the current one. */
  readonly #again = new Set<string>();

  constructor(connection: Connection, hooks: CatchUpHooks, backoff: BackoffOptions) {
    this.#connection = connection;
    this.#hooks = hooks;
    this.#backoff = backoff;
  }

  /** How many conversations are being fetched. */
  get running(): number {
    return this.#running.size;
  }

  /** Fetches from the conversation's applied seq until nothing more (at least one page). */
  fetch(conversation: ConversationState): void {
    if (this.#running.has(conversation.id)) {
      this.#again.add(conversation.id);
      return;
    }
    this.#running.add(conversation.id);
    void this.#run(conversation).finally(() => {
      this.#running.delete(conversation.id);
      if (this.#again.delete(conversation.id) && this.#connection.ready && conversation.member)
        this.fetch(conversation);
    });
  }

  async #run(conversation: ConversationState): Promise<void> {
    let emptyPages = 0;
    for (let failures = 0; this.#connection.ready && conversation.member; ) {
      let entries: LogEntry[];
      try {
        const ack = await this.#connection.request('log.get', {
          conversationId: conversation.id,
          afterSeq: conversation.appliedSeq,
          limit: LOG_PAGE_ENTRIES,
        });
        entries = (ack.entries as LogEntry[] | undefined) ?? [];
      } catch (error) {
        const failure = asClientError(error);
        if (failure.code === 'forbidden' || failure.code === 'not_found') {
          this.#hooks.lost(conversation);
          return;
        }
        // A drop: the next session.ready starts the resume again. Else wait and repeat.
        if (!failure.retryable || failure.code === 'disconnected') return;
        await sleep(backoffDelayMs(failures++, this.#backoff));
        continue;
      }
      for (const entry of entries) this.#hooks.apply(entry);
      if (entries.length > 0) continue;
      if (!conversation.sequencer.behind) return;
      emptyPages += 1;
      if (emptyPages > EMPTY_PAGE_RETRIES) {
        // Nothing more is readable: stop expecting what was announced (a later push or connect
        // announces it again). Entries held past a gap stay, for the next fetch to fill it.
        if (conversation.sequencer.waiting === 0) conversation.sequencer.settle();
        return;
      }
      await sleep(Math.min(EMPTY_PAGE_MAX_WAIT_MS, EMPTY_PAGE_WAIT_MS * emptyPages));
    }
  }
}
