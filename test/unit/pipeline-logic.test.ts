import {
  deadQueue,
  declareTopology,
  durationLabel,
  EXCHANGES,
  HEADERS,
  nextStep,
  notifierQueue,
  QUEUES,
  retryQueue,
  shardQueue,
} from '@chat/broker';
import { messageIdOf } from '@chat/contracts';
import type { Channel } from 'amqplib';
import { expect } from 'chai';
import { SeqAllocator } from '../../apps/persister/src/seq-allocator.js';
import { TokenBucket } from '../../apps/ws-edge/src/token-bucket.js';

describe('pipeline logic', () => {
  describe('token bucket', () => {
    it('allows the burst, then refills at the rate', () => {
      let now = 0;
      const bucket = new TokenBucket(3, 2, () => now);
      expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).to.deep.equal([true, true, true, false]);
      now = 499;
      expect(bucket.take()).to.equal(false);
      now = 500;
      expect(bucket.take()).to.equal(true);
      now = 100_000;
      expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).to.deep.equal([true, true, true, false]);
    });
  });

  describe('retry ladder', () => {
    const ladder = [1_000, 5_000, 30_000];
    it('climbs one delay queue per failed attempt, then dead-letters with the last error', () => {
      expect(nextStep(1, ladder, 'boom')).to.deep.equal({ kind: 'retry', queue: 'persister.retry.1s', attempt: 1 });
      expect(nextStep(3, ladder, 'boom')).to.deep.equal({ kind: 'retry', queue: 'persister.retry.30s', attempt: 3 });
      expect(nextStep(4, ladder, 'db down')).to.deep.equal({
        kind: 'dead',
        reason: 'retries exhausted after 3 retries: db down',
      });
    });
  });

  describe('seq allocator', () => {
    it('continues from the stored last seq, hands out consecutive seqs, and reloads after forget', async () => {
      const stored = new Map([['c1', 41]]);
      let loads = 0;
      const seqs = new SeqAllocator(async (id) => {
        loads += 1;
        return stored.get(id) ?? 0;
      });
      await seqs.prepare(['c1', 'c2', 'c1']);
      expect([seqs.allocate('c1'), seqs.allocate('c1'), seqs.allocate('c2')]).to.deep.equal([42, 43, 1]);
      await seqs.prepare(['c1']);
      expect(loads).to.equal(2);
      seqs.forget(['c1']);
      stored.set('c1', 42);
      await seqs.prepare(['c1']);
      expect(seqs.allocate('c1')).to.equal(43);
      expect(() => seqs.allocate('c3')).to.throw(/not prepared/);
    });

    it('keeps the counters a batch prepared when a shard is regained mid-batch, and reloads them next', async () => {
      const stored = new Map([['c1', 10]]);
      const seqs = new SeqAllocator(async (id) => stored.get(id) ?? 0);
      await seqs.prepare(['c1']);
      seqs.clear();
      expect(seqs.allocate('c1')).to.equal(11);
      stored.set('c1', 20);
      await seqs.prepare(['c1']);
      expect(seqs.allocate('c1')).to.equal(21);
    });
  });

  describe('seq allocator with log-head hints', () => {
    it('loads a batch of new counters with one call for hints, and a lagging one exactly from the log after a conflict', async () => {
      const log = new Map([
        ['c1', 7],
        ['c2', 3],
      ]);
      // The cache of log heads lags for c1: its writer died between its insert and raising the head.
      const heads = new Map([
        ['c1', 5],
        ['c2', 3],
      ]);
      const hintCalls: string[][] = [];
      const exactLoads: string[] = [];
      const seqs = new SeqAllocator(
        async (id) => {
          exactLoads.push(id);
          return log.get(id) ?? 0;
        },
        async (ids) => {
          hintCalls.push([...ids]);
          return new Map(ids.map((id) => [id, heads.get(id) ?? 0]));
        },
      );
      await seqs.prepare(['c1', 'c2', 'c3']);
      expect(hintCalls).to.deep.equal([['c1', 'c2', 'c3']]);
      expect(exactLoads).to.deep.equal([]);
      expect([seqs.allocate('c1'), seqs.allocate('c2'), seqs.allocate('c3')]).to.deep.equal([6, 4, 1]);
      // 6 is taken in the log: the insert meets the unique index, and c1 is loaded from the log.
      seqs.conflicted('c1');
      await seqs.prepare(['c1', 'c2']);
      expect(exactLoads).to.deep.equal(['c1']);
      expect(hintCalls).to.have.length(1);
      expect(seqs.allocate('c1')).to.equal(8);
      // Once exact, c1 goes back to hints the next time it must be loaded.
      seqs.forget(['c1']);
      heads.set('c1', 8);
      await seqs.prepare(['c1']);
      expect(hintCalls.at(-1)).to.deep.equal(['c1']);
      expect(seqs.allocate('c1')).to.equal(9);
    });
  });

  describe('message ids', () => {
    it('derives the same id from the same sender, conversation and clientMsgId, and different ids otherwise', () => {
      const a = '11111111-1111-4111-8111-111111111111';
      const b = '22222222-2222-4222-8222-222222222222';
      const c1 = '33333333-3333-4333-8333-333333333333';
      const c2 = '44444444-4444-4444-8444-444444444444';
      const id = (senderId: string, conversationId: string, clientMsgId: string) =>
        messageIdOf({ senderId, conversationId, clientMsgId });
      expect(id(a, c1, 'x')).to.equal(id(a, c1, 'x'));
      expect(id(a, c1, 'x')).to.not.equal(id(b, c1, 'x'));
      expect(id(a, c1, 'x')).to.not.equal(id(a, c2, 'x'));
      expect(id(a, c1, 'x')).to.not.equal(id(a, c1, 'y'));
      expect(id(a, c1, 'x')).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('keeps every id it ever derived: stored messages are found again by them', () => {
      expect(
        messageIdOf({
          senderId: '11111111-1111-4111-8111-111111111111',
          conversationId: '33333333-3333-4333-8333-333333333333',
          clientMsgId: 'x',
        }),
      ).to.equal('8c56dfa6-6e13-5e41-bbab-d125386dd0c1');
    });
  });

  describe('topology', () => {
    /** A channel that records what is declared, in order. */
    function recordingChannel(): { channel: Channel; calls: string[] } {
      const calls: string[] = [];
      const record =
        (name: string) =>
        async (...args: unknown[]) => {
          calls.push(`${name} ${JSON.stringify(args)}`);
          return {};
        };
      const channel = {
        assertExchange: record('assertExchange'),
        bindExchange: record('bindExchange'),
        assertQueue: record('assertQueue'),
        bindQueue: record('bindQueue'),
        unbindQueue: record('unbindQueue'),
        unbindExchange: record('unbindExchange'),
      } as unknown as Channel;
      return { channel, calls };
    }

    it('hashes chat.inbound on the conversation-id header onto quorum shards with one active consumer', async () => {
      const { channel, calls } = recordingChannel();
      await declareTopology(channel, { exchanges: [EXCHANGES.inbound], queues: [0, 1, 2, 3].map(shardQueue) });
      expect(calls[0]).to.equal(
        `assertExchange ${JSON.stringify([EXCHANGES.inbound, 'x-consistent-hash', { durable: true, arguments: { 'hash-header': HEADERS.conversationId } }])}`,
      );
      const shards = [0, 1, 2, 3].map(shardQueue);
      expect(shards.map((q) => q.name)).to.deep.equal([0, 1, 2, 3].map(QUEUES.shard));
      for (const shard of shards) {
        expect(shard.options.arguments).to.include({ 'x-queue-type': 'quorum', 'x-single-active-consumer': true });
        expect(shard.bindings).to.deep.equal([{ exchange: EXCHANGES.inbound, routingKey: '1' }]);
      }
    });

    it('sends each retry queue back to chat.inbound after its delay, at least once', () => {
      const retries = [1_000, 120_000, 1_500].map(retryQueue);
      expect(retries.map((q) => q.name)).to.deep.equal([
        'persister.retry.1s',
        'persister.retry.2m',
        'persister.retry.1500ms',
      ]);
      expect(retries[1]?.options.arguments).to.include({
        'x-message-ttl': 120_000,
        'x-dead-letter-exchange': EXCHANGES.inbound,
        'x-dead-letter-strategy': 'at-least-once',
      });
    });

    it('binds the notifier to due notifications only, and the dead-letter queue to chat.dead', () => {
      expect(notifierQueue.bindings).to.deep.equal([{ exchange: EXCHANGES.events, routingKey: 'notifications.due' }]);
      expect(deadQueue.bindings).to.deep.equal([{ exchange: EXCHANGES.dead, routingKey: '' }]);
      expect(durationLabel(30_000)).to.equal('30s');
    });

    it('declares chat.events forwarding into chat.deliveries before binding the notifier, and drops its old bindings', async () => {
      const { channel, calls } = recordingChannel();
      await declareTopology(channel, { exchanges: [], queues: [notifierQueue] });
      const verbs = calls.map((call) => call.split(' ')[0]);
      expect(verbs).to.deep.equal([
        'assertExchange',
        'assertExchange',
        'bindExchange',
        // chat.events forwarded every event to the edges before notifications.due existed.
        'unbindExchange',
        'assertQueue',
        'bindQueue',
        // The whole fanout (before chat.events), one message.persisted per message (before
        // log.appended), then every written batch (before notifications.due).
        'unbindQueue',
        'unbindQueue',
        'unbindQueue',
      ]);
      expect(calls[0]).to.contain(EXCHANGES.deliveries);
      expect(calls[2]).to.equal(`bindExchange ${JSON.stringify([EXCHANGES.deliveries, EXCHANGES.events, 'log.#'])}`);
      expect(calls[3]).to.equal(`unbindExchange ${JSON.stringify([EXCHANGES.deliveries, EXCHANGES.events, '#'])}`);
      expect(calls[6]).to.equal(`unbindQueue ${JSON.stringify([QUEUES.notifierDeliveries, EXCHANGES.deliveries, ''])}`);
      expect(calls[8]).to.equal(
        `unbindQueue ${JSON.stringify([QUEUES.notifierDeliveries, EXCHANGES.events, 'log.appended'])}`,
      );
    });
  });
});
