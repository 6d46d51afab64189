import { setTimeout as sleep } from 'node:timers/promises';
import { ChatClient, type Frame } from './chat-client.js';

/**
 * A client that survives faults: when its connection drops it reconnects (to the next edge in
 * its list) and resumes by `afterSeq`, so what it has seen is pushes plus what it fetched on
 * resume, as a real app would do.
 */
export class ResilientClient {
  readonly userId: string;
  #client: ChatClient | undefined;
  #edges: string[];
  readonly #token: string;
  /** Message ids seen by push, in arrival order (duplicates kept, to be counted). */
  readonly pushed: string[] = [];
  /** Message ids fetched from history on resume. */
  readonly fetched = new Set<string>();
  /** Per conversation: the highest seq up to which every seq has been seen (gaps stop it). */
  readonly lastSeq = new Map<string, number>();
  /** Per conversation: seqs seen above `lastSeq` (after a gap). */
  readonly #ahead = new Map<string, Set<number>>();
  reconnects = 0;

  constructor(userId: string, token: string, edges: string[]) {
    this.userId = userId;
    this.#token = token;
    this.#edges = [...edges];
  }

  async connect(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const url = this.#edges[attempt % this.#edges.length] ?? '';
      try {
        const client = await ChatClient.connect(url, this.#token);
        this.#client = client;
        client.ws.on('message', (data) => this.#onFrame(JSON.parse(data.toString()) as Frame));
        // Anything pushed before the listener above was attached is in client.frames already.
        for (const frame of client.frames) this.#onFrame(frame);
        void client.closed.then(() => {
          if (this.#client === client) this.#client = undefined;
        });
        return;
      } catch (error) {
        lastError = error;
        await sleep(250);
      }
    }
    throw new Error(`could not reconnect: ${(lastError as Error)?.message}`);
  }

  /** Prefer these edges from now on (the first is tried first). */
  preferEdges(edges: string[]): void {
    this.#edges = [...edges];
  }

  get connected(): boolean {
    return this.#client !== undefined && this.#client.ws.readyState === 1;
  }

  /** Reconnects if needed, then fetches every message after the last seen seq of each conversation. */
  async resume(conversationIds: string[]): Promise<void> {
    if (!this.connected) {
      this.reconnects += 1;
      await this.connect();
    }
    for (const conversationId of conversationIds) {
      let afterSeq = this.lastSeq.get(conversationId) ?? 0;
      for (;;) {
        const page = await this.request('history.get', { conversationId, afterSeq, limit: 100 });
        if (page.messages.length === 0) break;
        for (const message of page.messages) {
          this.fetched.add(message.id);
          this.#sawSeq(conversationId, message.seq);
          afterSeq = message.seq;
        }
      }
    }
  }

  request(type: string, fields: Record<string, unknown>, timeoutMs = 15_000): Promise<Frame> {
    if (!this.#client) return Promise.reject(new Error('not connected'));
    return this.#client.request(type, fields, timeoutMs);
  }

  close(): void {
    this.#client?.close();
  }

  /** Every message id this client has, by push or by fetch. */
  seen(): Set<string> {
    return new Set([...this.pushed, ...this.fetched]);
  }

  #seenFrames = new WeakSet<Frame>();

  #onFrame(frame: Frame): void {
    if (this.#seenFrames.has(frame)) return;
    this.#seenFrames.add(frame);
    if (frame.type !== 'message.new') return;
    this.pushed.push(frame.message.id);
    this.#sawSeq(frame.message.conversationId, frame.message.seq);
  }

  /** As a real client does: resume from the last seq before a gap, so a missed push is fetched. */
  #sawSeq(conversationId: string, seq: number): void {
    let last = this.lastSeq.get(conversationId) ?? 0;
    if (seq <= last) return;
    const ahead = this.#ahead.get(conversationId) ?? new Set<number>();
    this.#ahead.set(conversationId, ahead);
    ahead.add(seq);
    while (ahead.delete(last + 1)) last += 1;
    this.lastSeq.set(conversationId, last);
  }
}

export type Outcome = 'acked' | 'unavailable' | 'unanswered' | 'refused';

/**
 * A steady stream of messages from senders, at a fixed rate, recording what became of each
 * (acked, `unavailable`, no answer at all). Nothing is fire-and-forget: at the end every message
 * is either acked or resent (same clientMsgId) until it is.
 */
export class MessageStream {
  readonly outcomes = new Map<string, Outcome>();
  /** Every failed send, by outcome, resends included (an outcome is overwritten once acked). */
  readonly failures: Record<Exclude<Outcome, 'acked'>, number> = { unavailable: 0, unanswered: 0, refused: 0 };
  readonly acked = new Map<string, string>();
  readonly #pairs: Array<{ sender: ResilientClient; conversationId: string }>;
  readonly #tag: string;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #next = 0;
  firstFailureAt = 0;
  firstAckAfterFailureAt = 0;

  constructor(pairs: Array<{ sender: ResilientClient; conversationId: string }>, tag: string) {
    this.#pairs = pairs;
    this.#tag = tag;
  }

  start(ratePerS: number): void {
    const intervalMs = 1000 / ratePerS;
    this.#timer = setInterval(() => this.#sendOne(this.#next++), intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Resends every message not acked (same clientMsgId), reconnecting senders, until each is acked. */
  async settle(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let resent = 0;
    for (;;) {
      const missing = [...this.outcomes.entries()].filter(([, outcome]) => outcome !== 'acked');
      if (missing.length === 0) return resent;
      if (Date.now() > deadline) throw new Error(`${missing.length} messages never acked`);
      for (const [clientMsgId] of missing) {
        const index = Number(clientMsgId.split('-').at(-1));
        const pair = this.#pairs[index % this.#pairs.length];
        if (!pair) continue;
        if (!pair.sender.connected) await pair.sender.resume([]);
        resent += 1;
        await this.#send(pair, clientMsgId);
      }
      await sleep(200);
    }
  }

  count(outcome: Outcome): number {
    return [...this.outcomes.values()].filter((value) => value === outcome).length;
  }

  #sendOne(n: number): void {
    const pair = this.#pairs[n % this.#pairs.length];
    if (!pair) return;
    const work = this.#send(pair, `${this.#tag}-${n}`);
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #send(pair: { sender: ResilientClient; conversationId: string }, clientMsgId: string): Promise<void> {
    try {
      const ack = await pair.sender.request('message.send', {
        conversationId: pair.conversationId,
        body: clientMsgId,
        clientMsgId,
      });
      if (this.outcomes.get(clientMsgId) !== 'acked' && this.firstFailureAt > 0 && this.firstAckAfterFailureAt === 0) {
        this.firstAckAfterFailureAt = Date.now();
      }
      this.outcomes.set(clientMsgId, 'acked');
      this.acked.set(clientMsgId, ack.messageId);
    } catch (error) {
      if (this.outcomes.get(clientMsgId) === 'acked') return;
      const code = (error as { code?: string }).code;
      const outcome = code === 'unavailable' ? 'unavailable' : code ? 'refused' : 'unanswered';
      this.outcomes.set(clientMsgId, outcome);
      this.failures[outcome] += 1;
      if (this.firstFailureAt === 0) this.firstFailureAt = Date.now();
    }
  }
}
