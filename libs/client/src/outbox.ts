import { type BackoffOptions, backoffDelayMs } from './backoff.js';
import { Emitter } from './emitter.js';
import { asClientError, type ChatClientError, closedError } from './errors.js';
import type { OutboxRecord, OutboxStorage } from './outbox-storage.js';

/** `pending` until acknowledged (`sent`) or refused for good (`failed`). */
export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface OutboxEntry extends OutboxRecord {
  status: OutboxStatus;
  /** Once sent. */
  messageId?: string;
  /** Once failed: why (the server's error code). */
  error?: { code: string; message: string };
  /** How many times it went out. */
  attempts: number;
}

export interface SentMessage {
  messageId: string;
  clientMsgId: string;
  conversationId: string;
}

export interface OutboxEvents {
  /** An entry changed status (pending, sent, failed). */
  change: (entry: OutboxEntry) => void;
}

interface Slot {
  entry: OutboxEntry;
  inFlight: boolean;
  /** Not before this (a reply waits until the client holds the message it answers). */
  notBefore: Promise<void> | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  resolve?: (sent: SentMessage) => void;
  reject?: (error: ChatClientError) => void;
}

/** Backoff steps between resends of one message stop growing here (with the default, 8 to 16 s). */
const MAX_RESEND_STEP = 6;

/**
 * Messages from `send()` until the server acknowledges them. Each keeps its clientMsgId for
 * life, so sending it again (after a drop, an `unavailable`, a reload) can only give the message
 * it already is. A message goes out when added, again at every session.ready while unacknowledged,
 * and again after a backoff when answered with an error that may change.
 */
export class Outbox extends Emitter<OutboxEvents> {
  readonly #storage: OutboxStorage;
  readonly #send: (record: OutboxRecord) => Promise<string>;
  readonly #canSend: () => boolean;
  readonly #backoff: BackoffOptions;
  readonly #slots = new Map<string, Slot>();
  #closed = false;

  constructor(options: {
    storage: OutboxStorage;
    /** Sends one message; resolves with its messageId. */
    send: (record: OutboxRecord) => Promise<string>;
    canSend: () => boolean;
    backoff: BackoffOptions;
  }) {
    super();
    this.#storage = options.storage;
    this.#send = options.send;
    this.#canSend = options.canSend;
    this.#backoff = options.backoff;
  }

  /** Takes the messages an earlier client left unsent (a reload); they go out at the next flush. */
  async load(): Promise<void> {
    for (const record of await this.#storage.load()) {
      if (this.#slots.has(record.clientMsgId)) continue;
      this.#slots.set(record.clientMsgId, this.#slot({ ...record, status: 'pending', attempts: 0 }));
    }
  }

  /** Adds a message: stored first, then sent (after `notBefore`); resolves at its ack. */
  async add(record: OutboxRecord, notBefore?: Promise<void>): Promise<SentMessage> {
    if (this.#closed) throw closedError();
    const slot = this.#slot({ ...record, status: 'pending', attempts: 0 });
    slot.notBefore = notBefore?.then(() => {
      slot.notBefore = undefined;
    });
    const acknowledged = this.#promise(slot);
    this.#slots.set(record.clientMsgId, slot);
    await this.#storage.put(record);
    this.emit('change', { ...slot.entry });
    if (slot.notBefore) await slot.notBefore;
    this.#flush(slot);
    return acknowledged;
  }

  /** Sends every pending message that is not on its way (at session.ready). */
  flushAll(): void {
    for (const slot of this.#slots.values()) this.#flush(slot);
  }

  /** Sends a failed message again (same clientMsgId). */
  retry(clientMsgId: string): Promise<SentMessage> {
    const slot = this.#slots.get(clientMsgId);
    if (slot?.entry.status !== 'failed') return Promise.reject(new Error(`no failed message ${clientMsgId}`));
    const { error: _error, status: _status, ...rest } = slot.entry;
    slot.entry = { ...rest, status: 'pending' };
    const acknowledged = this.#promise(slot);
    void this.#storage.put(toRecord(slot.entry));
    this.emit('change', { ...slot.entry });
    this.#flush(slot);
    return acknowledged;
  }

  /** Forgets a failed message (a pending one cannot be taken back: it may be on its way). */
  discard(clientMsgId: string): void {
    if (this.#slots.get(clientMsgId)?.entry.status === 'failed') this.#slots.delete(clientMsgId);
  }

  /** Pending and failed messages, oldest first (sent ones leave). */
  entries(conversationId?: string): OutboxEntry[] {
    return [...this.#slots.values()]
      .map((slot) => ({ ...slot.entry }))
      .filter((entry) => conversationId === undefined || entry.conversationId === conversationId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  get pending(): number {
    let count = 0;
    for (const slot of this.#slots.values()) if (slot.entry.status === 'pending') count += 1;
    return count;
  }

  /** Stops resending; waiting `send()` promises reject with `closed`. The storage keeps the records. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#slots.values()) {
      if (slot.retryTimer) clearTimeout(slot.retryTimer);
      if (slot.entry.status === 'pending') slot.reject?.(closedError());
    }
  }

  #slot(entry: OutboxEntry): Slot {
    return { entry, inFlight: false, notBefore: undefined, retryTimer: undefined };
  }

  #promise(slot: Slot): Promise<SentMessage> {
    return new Promise<SentMessage>((resolve, reject) => {
      slot.resolve = resolve;
      slot.reject = reject;
    });
  }

  #flush(slot: Slot): void {
    if (this.#closed || slot.inFlight || slot.notBefore || slot.entry.status !== 'pending' || !this.#canSend()) return;
    if (slot.retryTimer) clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
    slot.inFlight = true;
    slot.entry.attempts += 1;
    const record = toRecord(slot.entry);
    this.#send(record).then(
      (messageId) => this.#acknowledged(slot, messageId),
      (error: unknown) => this.#refused(slot, asClientError(error)),
    );
  }

  #acknowledged(slot: Slot, messageId: string): void {
    slot.inFlight = false;
    slot.entry = { ...slot.entry, status: 'sent', messageId };
    this.#slots.delete(slot.entry.clientMsgId);
    void this.#storage.remove(slot.entry.clientMsgId);
    this.emit('change', { ...slot.entry });
    slot.resolve?.({ messageId, clientMsgId: slot.entry.clientMsgId, conversationId: slot.entry.conversationId });
  }

  #refused(slot: Slot, error: ChatClientError): void {
    slot.inFlight = false;
    if (this.#closed) return;
    if (error.retryable) {
      // A drop: the next session.ready flushes it. Else the answer may change: wait, send again.
      if (error.code !== 'disconnected') {
        const delay = backoffDelayMs(Math.min(slot.entry.attempts, MAX_RESEND_STEP), this.#backoff);
        slot.retryTimer = setTimeout(() => this.#flush(slot), delay);
      }
      return;
    }
    slot.entry = { ...slot.entry, status: 'failed', error: { code: error.code, message: error.message } };
    void this.#storage.remove(slot.entry.clientMsgId);
    this.emit('change', { ...slot.entry });
    slot.reject?.(error);
  }
}

function toRecord(entry: OutboxEntry): OutboxRecord {
  return {
    clientMsgId: entry.clientMsgId,
    conversationId: entry.conversationId,
    body: entry.body,
    ...(entry.replyTo ? { replyTo: entry.replyTo } : {}),
    createdAt: entry.createdAt,
  };
}
