import type { EventPublisher } from '@chat/broker';
import type { ChatMessage, MessageCreatedEvent } from '@chat/contracts';
import type { ConversationRepository, MessageDocument, MessageRepository, NotificationRepository } from '@chat/storage';
import { expect } from 'chai';
import { BatchWriter } from '../../apps/persister/src/batch-writer.js';
import type { PersisterMetrics } from '../../apps/persister/src/persister-metrics.js';
import { SeqAllocator } from '../../apps/persister/src/seq-allocator.js';
import { DeliveryRouter, type DeliveryRouterDependencies } from '../../apps/ws-edge/src/deliveries.js';
import type { Session } from '../../apps/ws-edge/src/session.js';

const CONVERSATION = '0190a000-0000-7000-8000-000000000001';
const ALICE = '0190a000-0000-7000-8000-0000000000a1';
const BOB = '0190a000-0000-7000-8000-0000000000b0';

function messageOf(id: string, seq: number): ChatMessage & { body: string } {
  return {
    id,
    conversationId: CONVERSATION,
    seq,
    senderId: ALICE,
    body: `m${seq}`,
    clientMsgId: `c${seq}`,
    createdAt: new Date().toISOString(),
  };
}

describe('delivery bugs', () => {
  describe('the edge pushes a re-announced message it never pushed (bug 1)', () => {
    function routerWithOneSession(): { router: DeliveryRouter; pushed: string[] } {
      const pushed: string[] = [];
      const session = { userId: BOB, id: 's1', push: (text: string) => pushed.push(text) } as unknown as Session;
      const deps = {
        sessions: { of: (userId: string) => (userId === BOB ? new Set([session]) : undefined) },
        metrics: { messagesDelivered: { inc: () => undefined }, deliveryLatency: { observe: () => undefined } },
      } as unknown as DeliveryRouterDependencies;
      return { router: new DeliveryRouter(deps), pushed };
    }
    const persisted = (message: ChatMessage & { body: string }) => ({
      type: 'log.appended' as const,
      segments: [
        {
          conversationId: message.conversationId,
          members: [ALICE, BOB],
          entries: [{ type: 'message.new' as const, message }],
        },
      ],
    });

    it('pushes seq 1 after seq 2 when seq 1 comes back from the retry ladder late', () => {
      const { router, pushed } = routerWithOneSession();
      const first = messageOf('0190a000-0000-7000-8000-000000000101', 1);
      const second = messageOf('0190a000-0000-7000-8000-000000000102', 2);
      router.route(persisted(second));
      router.route(persisted(first));
      expect(pushed.map((text) => JSON.parse(text).message.seq)).to.deep.equal([2, 1]);
    });

    it('still pushes a message announced twice only once', () => {
      const { router, pushed } = routerWithOneSession();
      const message = messageOf('0190a000-0000-7000-8000-000000000103', 3);
      router.route(persisted(message));
      router.route(persisted(message));
      expect(pushed).to.have.length(1);
    });
  });

  describe('presence cannot go backwards (bug 3)', () => {
    it('drops a presence change whose version is not above the last one pushed for that user', () => {
      const pushed: Array<{ status: string; version: number }> = [];
      const watcher = { push: (text: string) => pushed.push(JSON.parse(text)) } as unknown as Session;
      const deps = {
        contacts: { watchersOf: (userId: string) => (userId === ALICE ? new Set([watcher]) : undefined) },
      } as unknown as DeliveryRouterDependencies;
      const router = new DeliveryRouter(deps);
      const change = (status: 'online' | 'offline', version: number) =>
        router.route({ type: 'presence.changed', userId: ALICE, status, version });
      change('offline', 10);
      change('online', 12);
      // A second worker publishes the older offline again after a handover: stale.
      change('offline', 10);
      change('online', 12);
      change('offline', 13);
      expect(pushed.map((frame) => [frame.status, frame.version])).to.deep.equal([
        ['offline', 10],
        ['online', 12],
        ['offline', 13],
      ]);
    });
  });

  describe('a database error while telling a duplicate from a seq conflict (bug 4)', () => {
    it('sends the unwritten messages to the retry ladder instead of rejecting the batch', async () => {
      const events: MessageCreatedEvent[] = [1, 2, 3].map((n) => ({
        type: 'message.created',
        messageId: `0190a000-0000-7000-8000-00000000020${n}`,
        conversationId: CONVERSATION,
        senderId: ALICE,
        clientMsgId: `c${n}`,
        body: `m${n}`,
        createdAt: new Date().toISOString(),
        members: [ALICE, BOB],
      }));
      const messages = {
        // The first document is a duplicate key: the writer must look it up to know which kind.
        insertOrdered: async (documents: MessageDocument[]) => ({
          written: 0,
          stopped: { duplicateKey: true, error: new Error('E11000') },
          attempted: documents.length,
        }),
        findById: async () => {
          throw new Error('connection reset by the database');
        },
      } as unknown as MessageRepository;
      const writer = new BatchWriter({
        messages,
        seqs: new SeqAllocator(async () => 0),
        publisher: {} as EventPublisher,
        conversations: {} as ConversationRepository,
        notifications: {} as NotificationRepository,
        lastSeqs: { raise: async () => undefined },
        rewrites: { raise: async () => 1 },
        presence: { withSessions: async () => new Set<string>() },
        metrics: { phase: { startTimer: () => () => undefined } } as unknown as PersisterMetrics,
      });
      const written = await writer.write(events);
      expect(written.persisted).to.deep.equal([]);
      expect([...written.failed.keys()]).to.deep.equal(events.map((event) => event.messageId));
      expect(written.failed.get(events[0]?.messageId ?? '')).to.match(/connection reset by the database/);
    });
  });
});
