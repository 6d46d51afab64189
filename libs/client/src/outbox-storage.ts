/** A message the app sent that the server has not acknowledged yet. */
export interface OutboxRecord {
  clientMsgId: string;
  conversationId: string;
  body: string;
  replyTo?: string;
  /** When `send` was called (ms since the epoch). */
  createdAt: number;
}

/**
 * Where unsent messages are kept, so that a new `ChatClient` (a page reload) resends them with the
 * same clientMsgId, which the server turns into the same message, never a second one. A record
 * is put before the message first goes out and removed once acknowledged or refused.
 */
export interface OutboxStorage {
  /** Every record, oldest first. */
  load(): Promise<OutboxRecord[]>;
  put(record: OutboxRecord): Promise<void>;
  remove(clientMsgId: string): Promise<void>;
}

/** Keeps the outbox in memory: a reload loses it. The default. */
export class MemoryOutboxStorage implements OutboxStorage {
  readonly #records = new Map<string, OutboxRecord>();

  async load(): Promise<OutboxRecord[]> {
    return [...this.#records.values()].map((record) => ({ ...record })).sort((a, b) => a.createdAt - b.createdAt);
  }

  async put(record: OutboxRecord): Promise<void> {
    this.#records.set(record.clientMsgId, { ...record });
  }

  async remove(clientMsgId: string): Promise<void> {
    this.#records.delete(clientMsgId);
  }
}
