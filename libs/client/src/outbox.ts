/** A message the app sent that the server has not acknowledged yet (or refused). */
export interface OutboxRecord {
  clientMsgId: string;
  conversationId: string;
  body: string;
  replyTo?: string;
  /** When `send` was called (ms since the epoch). */
  createdAt: number;
}

export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface OutboxEntry extends OutboxRecord {
  status: OutboxStatus;
  /** Once sent. */
  messageId?: string;
  /** Once failed: why (the server's error code). */
  error?: { code: string; message: string };
  attempts: number;
}

/**
 * Where unsent messages are kept, so that a new `ChatClient` (a page reload) resends them. Records
 * are removed once acknowledged or failed.
 */
export interface OutboxStorage {
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
