import type { EventPublisher } from '@chat/broker';
import type { CommandRequestedEvent, LogAppendedEvent, LogCommand, MessageCreatedEvent } from '@chat/contracts';
import { createLogger } from '@chat/logger';
import type {
  ConversationRepository,
  EntryDocument,
  LogDocument,
  MessageRepository,
  NotificationRepository,
  OrderedInsertResult,
} from '@chat/storage';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { BatchWriter, segmentsOf, type WrittenBatch } from '../../apps/persister/src/batch-writer.js';
import { InboundBatcher, NotPersistedError } from '../../apps/persister/src/inbound-batcher.js';
import { persisterMetrics } from '../../apps/persister/src/persister-metrics.js';
import { SeqAllocator } from '../../apps/persister/src/seq-allocator.js';

/**
 * The persister's pipeline logic, driven directly: the batch writer's duplicate and seq-conflict
 * loop, and the batcher's pipelining and settle order. The storage is
 * an in-memory stand-in with the two unique indexes and the ordered-insert contract of
 * `MessageRepository.insertOrdered` (what it writes is a prefix); the real repository's contract
 * is proven against the real server in test/integration/message-storage.test.ts.
 */

const A = '0190b000-0000-7000-8000-00000000000a';
const B = '0190b000-0000-7000-8000-00000000000b';
const SENDER = '0190b000-0000-7000-8000-0000000000f1';
const OTHER = '0190b000-0000-7000-8000-0000000000f2';

function created(conversationId: string, n: number): MessageCreatedEvent {
  return {
    type: 'message.created',
    messageId: `${conversationId.slice(-1)}-${n}`,
    conversationId,
    senderId: SENDER,
    clientMsgId: `c${n}`,
    body: `${conversationId.slice(-1)} ${n}`,
    createdAt: new Date(0).toISOString(),
    members: [SENDER, OTHER],
  };
}

function requested(conversationId: string, n: number, command: LogCommand): CommandRequestedEvent {
  return {
    type: 'command.requested',
    commandId: `${conversationId.slice(-1)}-command-${n}`,
    conversationId,
    actorId: SENDER,
    command,
    requestedAt: new Date(0).toISOString(),
    members: [SENDER, OTHER],
    replyTo: 'edge.test',
  };
}

/** Messages with MongoDB's unique `_id` and `(conversationId, seq)`, inserted as an ordered insert does. */
class MemoryMessages {
  readonly rows = new Map<string, LogDocument>();
  /** The ids each `findByIds` asked for, and the messages each `entriesAbout` asked about. */
  readonly lookups: string[][] = [];
  /** Fails the next inserts with this error (a database outage), when set. */
  failInserts: Error | undefined;

  async insertOrdered(documents: readonly LogDocument[]): Promise<OrderedInsertResult> {
    let written = 0;
    for (const doc of documents) {
      if (this.failInserts) return { written, stopped: { duplicateKey: false, error: this.failInserts } };
      const seqTaken = [...this.rows.values()].some(
        (r) => r.conversationId === doc.conversationId && r.seq === doc.seq,
      );
      if (this.rows.has(doc._id) || seqTaken) {
        return { written, stopped: { duplicateKey: true, error: new Error('E11000 duplicate key') } };
      }
      this.rows.set(doc._id, doc);
      written += 1;
    }
    return { written };
  }

  async findById(id: string): Promise<LogDocument | null> {
    return this.rows.get(id) ?? null;
  }

  async findByIds(ids: readonly string[]): Promise<Map<string, LogDocument>> {
    this.lookups.push([...ids]);
    return new Map(ids.flatMap((id) => (this.rows.has(id) ? [[id, this.rows.get(id) as LogDocument] as const] : [])));
  }

  async entriesAbout(messageIds: readonly string[]): Promise<EntryDocument[]> {
    this.lookups.push([...messageIds]);
    return [...this.rows.values()]
      .filter((row): row is EntryDocument => row.kind !== undefined && messageIds.includes(row.messageId ?? ''))
      .sort((a, b) => a.seq - b.seq);
  }

  seqsOf(conversationId: string): number[] {
    return [...this.rows.values()]
      .filter((r) => r.conversationId === conversationId)
      .map((r) => r.seq)
      .sort((x, y) => x - y);
  }

  store(event: MessageCreatedEvent, seq: number): void {
    this.rows.set(event.messageId, {
      _id: event.messageId,
      conversationId: event.conversationId,
      seq,
      senderId: event.senderId,
      clientMsgId: event.clientMsgId,
      body: event.body,
      createdAt: new Date(event.createdAt),
    });
  }
}

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function writerOver(
  messages: MemoryMessages,
  loadLastSeq: (conversationId: string) => Promise<number>,
  notifications = {} as NotificationRepository,
) {
  const announced: LogAppendedEvent[] = [];
  const publisher = {
    publish: async (_definition: unknown, event: LogAppendedEvent) => {
      announced.push(event);
    },
  } as unknown as EventPublisher;
  const raised: Array<Map<string, number>> = [];
  const heads = {
    raise: async (values: ReadonlyMap<string, number>) => {
      raised.push(new Map(values));
    },
  };
  const writer = new BatchWriter({
    messages: messages as unknown as MessageRepository,
    seqs: new SeqAllocator(loadLastSeq),
    publisher,
    conversations: {} as ConversationRepository,
    notifications,
    lastSeqs: heads,
    rewrites: { raise: async () => 1 },
    // Everyone online: nobody is due a notification (the notifier's side has a test of its own).
    presence: { withSessions: async (userIds: readonly string[]) => new Set(userIds) },
    metrics: persisterMetrics(new Registry()),
  });
  return { writer, announced, raised };
}

describe('persister pipeline', () => {
  describe('batch writer', () => {
    it('announces a redelivered message with its stored seq and writes the rest after it, gap-free', async () => {
      const messages = new MemoryMessages();
      const first = created(A, 1);
      messages.store(first, 1);
      // The counter is loaded from the database: seq 1 is taken, by this very message.
      const { writer, announced, raised } = writerOver(messages, async () => 1);
      // A redelivery of message 1 in the middle of new ones: 2, 1 again, 3.
      const batch = await writer.write([created(A, 2), first, created(A, 3), created(A, 2)]);
      expect(batch.failed.size).to.equal(0);
      expect(batch.inserted).to.equal(2);
      expect(batch.persisted.map((d) => [d._id, d.seq])).to.deep.equal([
        ['a-2', 2],
        ['a-1', 1],
        ['a-3', 3],
      ]);
      expect(messages.seqsOf(A)).to.deep.equal([1, 2, 3]);
      await writer.announce(batch);
      expect(raised).to.deep.equal([new Map([[A, 3]])]);
      // Announced per conversation in seq order, each with the members the edge sent.
      // One event for the batch; its messages in seq order, with the members the edge sent.
      expect(announced).to.have.length(1);
      const segments = announced[0]?.segments ?? [];
      expect(segments.map((segment) => segment.members)).to.deep.equal([[SENDER, OTHER]]);
      expect(
        segments.flatMap((segment) => segment.entries.map((e) => (e.type === 'message.new' ? e.message.seq : e.seq))),
      ).to.deep.equal([1, 2, 3]);
    });

    it('reloads a stale counter when its seq is taken by another message, and goes on', async () => {
      const messages = new MemoryMessages();
      // Another persister wrote seq 1 and 2 of A after this one cached its counter at 0.
      messages.store({ ...created(A, 100), messageId: 'foreign-1' }, 1);
      messages.store({ ...created(A, 101), messageId: 'foreign-2' }, 2);
      const loads: string[] = [];
      const { writer } = writerOver(messages, async (id) => {
        loads.push(id);
        return id === A && loads.filter((l) => l === A).length > 1 ? 2 : 0;
      });
      const batch = await writer.write([created(A, 1), created(B, 1), created(A, 2)]);
      expect(batch.failed.size).to.equal(0);
      expect(messages.seqsOf(A)).to.deep.equal([1, 2, 3, 4]);
      expect(messages.seqsOf(B)).to.deep.equal([1]);
      expect(loads.sort(), 'A loaded twice, B once').to.deep.equal([A, A, B].sort());
    });

    it('reloads the stale counters of many conversations in one batch (a shard taken over from a writer that died)', async () => {
      const messages = new MemoryMessages();
      const conversations = [1, 2, 3, 4, 5, 6].map((n) => `0190b000-0000-7000-8000-00000000000${n}`);
      // The writer that died stored seq 1 of each, and never raised their heads: the hints say 0.
      for (const id of conversations) messages.store({ ...created(id, 100), messageId: `dead-${id}` }, 1);
      const loads = new Map<string, number>();
      const { writer } = writerOver(messages, async (id) => {
        loads.set(id, (loads.get(id) ?? 0) + 1);
        return (loads.get(id) ?? 0) > 1 ? (messages.seqsOf(id).at(-1) ?? 0) : 0;
      });
      const batch = await writer.write(conversations.map((id) => created(id, 1)));
      expect([...batch.failed.keys()], 'nothing left for the retry ladder').to.deep.equal([]);
      for (const id of conversations) expect(messages.seqsOf(id)).to.deep.equal([1, 2]);
    });

    it('gives up on a conversation whose seq stays taken, leaving the rest for the retry ladder', async () => {
      const messages = new MemoryMessages();
      for (let seq = 1; seq <= 10; seq += 1) messages.store({ ...created(A, 100 + seq), messageId: `f-${seq}` }, seq);
      // A counter that every reload still reads as 0: each try meets a taken seq.
      const { writer } = writerOver(messages, async () => 0);
      const batch = await writer.write([created(A, 1), created(A, 2)]);
      expect(batch.persisted).to.deep.equal([]);
      expect([...batch.failed.keys()]).to.deep.equal(['a-1', 'a-2']);
      expect(batch.failed.get('a-1')).to.match(/seq already taken/);
    });

    it('sends what was not written during an outage to the retry ladder, and resumes the seqs after it', async () => {
      const messages = new MemoryMessages();
      const { writer } = writerOver(messages, async (id) => messages.seqsOf(id).at(-1) ?? 0);
      await writer.write([created(A, 1)]);
      messages.failInserts = new Error('connection refused');
      const during = await writer.write([created(A, 2), created(A, 3)]);
      expect([...during.failed.keys()]).to.deep.equal(['a-2', 'a-3']);
      messages.failInserts = undefined;
      const after = await writer.write([created(A, 2), created(A, 3)]);
      expect(after.failed.size).to.equal(0);
      expect(messages.seqsOf(A)).to.deep.equal([1, 2, 3]);
    });

    it('judges commands about messages it wrote without reading the log, and looks up only commands seen before', async () => {
      const messages = new MemoryMessages();
      const { writer } = writerOver(messages, async () => 0);
      const message = created(A, 1);
      await writer.write([message], new Set());
      const edit = requested(A, 1, { kind: 'message.edit', messageId: message.messageId, body: 'edited' });
      const edited = await writer.write([edit], new Set());
      expect(edited.answers.map((answer) => answer.outcome)).to.deep.equal([{ ok: true, seq: 2 }]);
      expect(messages.lookups, 'nothing read to judge it').to.deep.equal([]);

      // Redelivered: its entry may be stored, so its id is looked up, and the stored seq answers.
      const again = await writer.write([edit], new Set([edit.commandId]));
      expect(messages.lookups).to.deep.equal([[edit.commandId]]);
      expect(again.answers.map((answer) => answer.outcome)).to.deep.equal([{ ok: true, seq: 2 }]);

      // Having (re)gained a shard, it reads the message and its entries from the log again.
      writer.forgetLogs();
      messages.lookups.length = 0;
      const react = requested(A, 2, { kind: 'reaction.add', messageId: message.messageId, emoji: '👍' });
      const reacted = await writer.write([react], new Set());
      expect(messages.lookups).to.deep.equal([[message.messageId], [message.messageId]]);
      expect(reacted.answers.map((answer) => answer.outcome)).to.deep.equal([{ ok: true, seq: 3 }]);
      const sameBody = requested(A, 3, { kind: 'message.edit', messageId: message.messageId, body: 'edited' });
      messages.lookups.length = 0;
      const unchanged = await writer.write([sameBody], new Set());
      expect(messages.lookups, 'held again once read').to.deep.equal([]);
      expect(unchanged.answers.map((answer) => answer.outcome)).to.deep.equal([{ ok: true, seq: 2 }]);
    });

    it('tells the notifier of the recipients offline when the batch was written, and nothing while all are online', async () => {
      const published: Array<{ name: string; event: unknown }> = [];
      const online = new Set<string>([SENDER]);
      let epochsAsked = 0;
      const writer = new BatchWriter({
        messages: new MemoryMessages() as unknown as MessageRepository,
        seqs: new SeqAllocator(async () => 0),
        publisher: {
          publish: async (definition: { name: string }, event: unknown) => {
            published.push({ name: definition.name, event });
          },
        } as unknown as EventPublisher,
        conversations: {} as ConversationRepository,
        notifications: {} as NotificationRepository,
        lastSeqs: { raise: async () => undefined },
        rewrites: {
          raise: async () => {
            epochsAsked += 1;
            return 7;
          },
        },
        presence: { withSessions: async (userIds) => new Set(userIds.filter((userId) => online.has(userId))) },
        metrics: persisterMetrics(new Registry()),
      });
      await writer.announce(await writer.write([created(A, 1), created(B, 1)]));
      expect(published.map((p) => p.name).sort()).to.deep.equal(['log.appended', 'notifications.due']);
      expect(published.find((p) => p.name === 'notifications.due')?.event).to.deep.equal({
        type: 'notifications.due',
        rewritesEpoch: 7,
        messages: [
          { conversationId: A, messageId: 'a-1', seq: 1, recipients: [OTHER], preview: 'a 1' },
          { conversationId: B, messageId: 'b-1', seq: 1, recipients: [OTHER], preview: 'b 1' },
        ],
      });
      online.add(OTHER);
      published.length = 0;
      await writer.announce(await writer.write([created(A, 2)]));
      expect(published.map((p) => p.name)).to.deep.equal(['log.appended']);
      // Everyone online, nothing edited or deleted: no Redis command for the rewrites.
      expect(epochsAsked).to.equal(1);
    });
  });

  describe('announce segments', () => {
    it("groups each conversation's entries in seq order, cut where the recipients change", () => {
      const message = (conversationId: string, seq: number) => ({
        entry: {
          type: 'message.new' as const,
          message: {
            id: `${conversationId}-${seq}`,
            conversationId,
            seq,
            senderId: SENDER,
            body: 'b',
            clientMsgId: `c${seq}`,
            createdAt: new Date(0).toISOString(),
          },
        },
        members: [SENDER, OTHER],
      });
      const removal = {
        entry: {
          type: 'member.changed' as const,
          conversationId: A,
          seq: 3,
          actorId: SENDER,
          userId: OTHER,
          change: 'removed' as const,
        },
        members: [SENDER, OTHER],
      };
      const after = { ...message(A, 4), members: [SENDER] };
      const segments = segmentsOf([after, message(B, 1), removal, message(A, 2), message(A, 1)]);
      expect(
        segments.map((segment) => [
          segment.conversationId,
          segment.members,
          segment.entries.map((e) => (e.type === 'message.new' ? e.message.seq : e.seq)),
        ]),
      ).to.deep.equal([
        [A, [SENDER, OTHER], [1, 2, 3]],
        [A, [SENDER], [4]],
        [B, [SENDER, OTHER], [1]],
      ]);
    });
  });

  describe('inbound batcher', () => {
    /** A writer whose writes and announces the test completes by hand. */
    function manualWriter() {
      const writes: Array<{ events: MessageCreatedEvent[]; done: Deferred<WrittenBatch> }> = [];
      const announces: Array<{ batch: WrittenBatch; done: Deferred }> = [];
      const writer = {
        write: (events: MessageCreatedEvent[]) => {
          const done = deferred<WrittenBatch>();
          writes.push({ events, done });
          return done.promise;
        },
        announce: (batch: WrittenBatch) => {
          const done = deferred();
          announces.push({ batch, done });
          return done.promise;
        },
        conclude: async () => undefined,
      } as unknown as BatchWriter;
      const writtenAll = (events: MessageCreatedEvent[]): WrittenBatch => ({
        persisted: events.map((e, i) => ({
          _id: e.messageId,
          conversationId: e.conversationId,
          seq: i + 1,
          senderId: e.senderId,
          clientMsgId: e.clientMsgId,
          body: e.body,
          createdAt: new Date(0),
        })),
        entries: [],
        answers: [],
        pushes: [],
        failed: new Map(),
        inserted: events.length,
        lastSeqWritten: Promise.resolve(),
        erased: Promise.resolve(),
        notificationsDue: Promise.resolve(undefined),
        events: new Map(events.map((e) => [e.messageId, e])),
      });
      return { writer, writes, announces, writtenAll };
    }

    const batcherOf = (writer: BatchWriter, batchMax: number) =>
      new InboundBatcher(writer, createLogger({ app: 'test', level: 'silent' }), {
        batchMax,
        batchWaitMs: 1,
        metrics: persisterMetrics(new Registry()),
      });

    it('writes at once at a trickle, and waits batchWaitMs to gather a batch once messages come faster', async () => {
      const { writtenAll } = manualWriter();
      const writes: number[] = [];
      const writer = {
        write: async (events: MessageCreatedEvent[]) => {
          writes.push(events.length);
          return writtenAll(events);
        },
        announce: async () => undefined,
        conclude: async () => undefined,
      } as unknown as BatchWriter;
      const batcher = new InboundBatcher(writer, createLogger({ app: 'test', level: 'silent' }), {
        batchMax: 100,
        batchWaitMs: 40,
        metrics: persisterMetrics(new Registry()),
      });
      let n = 0;
      const submit = () => batcher.submit(created(A, ++n), 'persister.messages.0');
      // A trickle: nothing came before, so nothing is gained by waiting.
      const first = submit();
      await tick();
      expect(writes, 'written without the 40 ms wait').to.deep.equal([1]);
      await first;
      // About 50 a second for 120 ms: the rate is known after the first 100 ms...
      for (let i = 0; i < 6; i += 1) {
        await submit();
        await sleep(20);
      }
      // ...and two or more are due within 40 ms, so the batcher waits to gather them.
      const writesBefore = writes.length;
      const burst = [submit(), submit()];
      await sleep(15);
      expect(writes.length, 'still waiting').to.equal(writesBefore);
      await Promise.all(burst);
      expect(writes.slice(writesBefore)).to.deep.equal([2]);
    });

    it('writes the next batch while the previous one waits for its announce, and settles them in order', async () => {
      const { writer, writes, announces, writtenAll } = manualWriter();
      const batcher = batcherOf(writer, 2);
      const settled: string[] = [];
      const submit = (event: MessageCreatedEvent) =>
        batcher.submit(event, 'persister.messages.0').then(() => settled.push(event.messageId));
      // A backlog: five messages, batches of two.
      const all = [1, 2, 3, 4, 5].map((n) => submit(created(A, n)));
      await tick();
      expect(writes.map((w) => w.events.map((e) => e.messageId))).to.deep.equal([['a-1', 'a-2']]);
      writes[0]?.done.resolve(writtenAll(writes[0].events));
      await tick();
      // Batch 1 waits for its announce; with a full batch waiting, batch 2 is written meanwhile.
      expect(announces).to.have.length(1);
      expect(writes.map((w) => w.events.map((e) => e.messageId))).to.deep.equal([
        ['a-1', 'a-2'],
        ['a-3', 'a-4'],
      ]);
      writes[1]?.done.resolve(writtenAll(writes[1].events));
      await tick();
      // Batch 2 is announced only after batch 1: nothing of it settles before batch 1 does.
      expect(announces).to.have.length(1);
      expect(settled).to.deep.equal([]);
      announces[0]?.done.resolve();
      await tick();
      expect(settled).to.deep.equal(['a-1', 'a-2']);
      expect(announces).to.have.length(2);
      announces[1]?.done.resolve();
      await tick();
      expect(settled).to.deep.equal(['a-1', 'a-2', 'a-3', 'a-4']);
      // The last one goes in a batch of its own after the wait.
      await new Promise((resolve) => setTimeout(resolve, 10));
      writes[2]?.done.resolve(writtenAll(writes[2].events));
      await tick();
      announces[2]?.done.resolve();
      await Promise.all(all);
      expect(settled).to.deep.equal(['a-1', 'a-2', 'a-3', 'a-4', 'a-5']);
      await batcher.idle();
    });

    it('under a light load writes one batch at a time', async () => {
      const { writer, writes, announces, writtenAll } = manualWriter();
      const batcher = batcherOf(writer, 10);
      const first = batcher.submit(created(A, 1), 'persister.messages.0');
      await new Promise((resolve) => setTimeout(resolve, 10));
      writes[0]?.done.resolve(writtenAll(writes[0].events));
      await tick();
      const second = batcher.submit(created(A, 2), 'persister.messages.0');
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Batch 1 is still being announced and batch 2 is not full: it waits.
      expect(writes).to.have.length(1);
      announces[0]?.done.resolve();
      await first;
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(writes).to.have.length(2);
      writes[1]?.done.resolve(writtenAll(writes[1].events));
      await tick();
      announces[1]?.done.resolve();
      await second;
    });

    it("writes and announces later batches while a delete's text is erased, and settles the delete only once it is erased", async () => {
      const messages = new MemoryMessages();
      const erasing = deferred();
      const erasures: string[][] = [];
      const eraseBodies = async (ids: readonly string[]) => {
        erasures.push([...ids]);
        await erasing.promise;
      };
      Object.assign(messages, { eraseBodies });
      const { writer, announced } = writerOver(messages, async () => 0, {
        erasePreviewsOf: async () => undefined,
      } as unknown as NotificationRepository);
      // Batches of up to 10: the later message is written alone only if the batch waiting for its
      // erasure does not hold writes back until a full batch has gathered.
      const batcher = batcherOf(writer, 10);
      const fresh = { seenBefore: false };
      const message = created(A, 1);
      await batcher.submit(message, 'q', fresh);
      const settled: string[] = [];
      const deleting = batcher
        .submit(requested(A, 1, { kind: 'message.delete', messageId: message.messageId }), 'q', fresh)
        .then(() => settled.push('delete'));
      while (erasures.length === 0) await tick();
      expect(erasures).to.deep.equal([[message.messageId]]);

      // A message of another conversation, written while the delete's text is being erased.
      const later = batcher.submit(created(B, 1), 'q', fresh).then(() => settled.push('b-1'));
      const waited = await Promise.race([later.then(() => 'settled'), sleep(500).then(() => 'still waiting')]);
      expect(waited, 'the later batch is announced and settled without waiting for the erasure').to.equal('settled');
      const pushedIds = announced.flatMap((event) =>
        event.segments.flatMap((segment) =>
          segment.entries.map((e) => (e.type === 'message.new' ? e.message.id : e.type)),
        ),
      );
      expect(pushedIds).to.deep.equal([message.messageId, 'message.deleted', 'b-1']);
      expect(settled, 'the delete is not acked before its text is erased').to.deep.equal(['b-1']);

      erasing.resolve();
      await deleting;
      expect(settled).to.deep.equal(['b-1', 'delete']);
      await batcher.idle();
    });

    it('settles an unannounced batch, and the unwritten part of a batch, with the reason to retry', async () => {
      const { writer, writes, announces, writtenAll } = manualWriter();
      const batcher = batcherOf(writer, 2);
      const outcome = (p: Promise<void>) =>
        p.then(
          () => 'stored',
          (error: unknown) => (error instanceof NotPersistedError ? `retry: ${error.message}` : 'other'),
        );
      const firstBatch = [outcome(batcher.submit(created(A, 1), 'q')), outcome(batcher.submit(created(A, 2), 'q'))];
      await tick();
      const written = writtenAll(writes[0]?.events.slice(0, 1) ?? []);
      written.failed.set('a-2', 'MongoNetworkError: connection reset');
      writes[0]?.done.resolve(written);
      await tick();
      announces[0]?.done.resolve();
      expect(await Promise.all(firstBatch)).to.deep.equal(['stored', 'retry: MongoNetworkError: connection reset']);

      const secondBatch = [outcome(batcher.submit(created(A, 3), 'q')), outcome(batcher.submit(created(A, 4), 'q'))];
      await tick();
      writes[1]?.done.resolve(writtenAll(writes[1].events));
      await tick();
      announces[1]?.done.reject(new Error('broker did not confirm'));
      expect(await Promise.all(secondBatch)).to.deep.equal([
        'retry: Error: broker did not confirm',
        'retry: Error: broker did not confirm',
      ]);
    });
  });
});
