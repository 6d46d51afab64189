import type { OutboxRecord, OutboxStorage } from './outbox-storage.js';

const STORE = 'outbox';

/**
 * Keeps the outbox in IndexedDB (browsers), so unsent messages survive a page reload: the next
 * `ChatClient` given the same database resends them on `connect()`. Pass another `IDBFactory`
 * (a test's) as `factory`; by default the global `indexedDB`.
 */
export class IndexedDbOutboxStorage implements OutboxStorage {
  readonly #dbName: string;
  readonly #factory: any;
  #db: Promise<any> | undefined;

  constructor(dbName = 'chat-client-outbox', factory?: unknown) {
    this.#dbName = dbName;
    this.#factory = factory ?? (globalThis as { indexedDB?: unknown }).indexedDB;
    if (!this.#factory) throw new Error('no IndexedDB here: pass an IDBFactory or use MemoryOutboxStorage');
  }

  async load(): Promise<OutboxRecord[]> {
    const records = (await this.#run('readonly', (store) => store.getAll())) as OutboxRecord[];
    return records.sort((a, b) => a.createdAt - b.createdAt);
  }

  async put(record: OutboxRecord): Promise<void> {
    await this.#run('readwrite', (store) => store.put({ ...record }));
  }

  async remove(clientMsgId: string): Promise<void> {
    await this.#run('readwrite', (store) => store.delete(clientMsgId));
  }

  /** Closes the database (the storage opens it again when used). */
  async close(): Promise<void> {
    const db = await this.#db;
    this.#db = undefined;
    db?.close();
  }

  #open(): Promise<any> {
    this.#db ??= new Promise((resolve, reject) => {
      const request = this.#factory.open(this.#dbName, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'clientMsgId' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.#db;
  }

  async #run(mode: 'readonly' | 'readwrite', operation: (store: any) => any): Promise<unknown> {
    const db = await this.#open();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = operation(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
}
