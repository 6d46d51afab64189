import { ChatClient, IndexedDbOutboxStorage, MemoryOutboxStorage, type OutboxStorage } from '@chat/client';
import { expect } from 'chai';
import { IDBFactory } from 'fake-indexeddb';

const record = (n: number) => ({
  clientMsgId: `m-${n}`,
  conversationId: 'c-1',
  body: `body ${n}`,
  createdAt: 1_000 + n,
});

describe('@chat/client outbox storage', () => {
  const kinds: Array<[string, () => OutboxStorage]> = [
    ['memory', () => new MemoryOutboxStorage()],
    ['IndexedDB', () => new IndexedDbOutboxStorage('outbox-test', new IDBFactory())],
  ];
  for (const [name, make] of kinds) {
    it(`${name}: keeps what was put, oldest first, until removed`, async () => {
      const storage = make();
      await storage.put(record(2));
      await storage.put({ ...record(1), replyTo: 'x' });
      await storage.put(record(3));
      await storage.remove('m-2');
      expect(await storage.load()).to.deep.equal([{ ...record(1), replyTo: 'x' }, record(3)]);
    });
  }

  it('IndexedDB: a second storage on the same database (a reload) reads the unsent messages', async () => {
    const factory = new IDBFactory();
    const first = new IndexedDbOutboxStorage('reload', factory);
    await first.put(record(7));
    await first.close();
    const second = new IndexedDbOutboxStorage('reload', factory);
    expect(await second.load()).to.deep.equal([record(7)]);
  });

  it('a send is put in the storage as pending before it goes out', async () => {
    const storage = new MemoryOutboxStorage();
    const client = new ChatClient({
      authUrl: 'http://127.0.0.1:9',
      edgeUrls: ['ws://127.0.0.1:9/ws'],
      outbox: storage,
    });
    const sent = client.send('c-1', 'hello', { clientMsgId: 'k-1' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(client.outbox().map((e) => [e.clientMsgId, e.status])).to.deep.equal([['k-1', 'pending']]);
    expect((await storage.load()).map((r) => r.body)).to.deep.equal(['hello']);
    client.close();
    let failure: unknown;
    await sent.catch((error) => {
      failure = error;
    });
    expect((failure as { code?: string }).code).to.equal('closed');
    expect(await storage.load(), 'closing keeps unsent messages for the next client').to.have.length(1);
  });
});
