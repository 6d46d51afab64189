import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { ChatClient, type Frame, FrameError } from '../support/chat-client.js';
import { comparable, LogReplica, readLog, seqOf } from '../support/log-replica.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser, type TestUser } from '../support/users.js';
import { eventually } from '../support/wait.js';

/** What one client had acknowledged: sends by message id, changes with the seq of their entry. */
interface Acked {
  sends: Set<string>;
  changes: Array<{ type: string; messageId: string; actorId: string; seq: number | null }>;
  refused: number;
}

const STREAM_MS = 9_000;

/**
 * Fault 6: the conversation's writer is SIGKILLed in the middle of a mixed stream of sends,
 * edits, reactions and deletes from two members on two edge nodes, and a new persister takes the
 * shards over. Every acknowledged entry must be in the log exactly once, its seqs gap-free, and
 * the state folded from the log must equal `history.get`.
 */
describe('fault: persister SIGKILL during a mixed stream of log entries', function () {
  this.timeout(180_000);
  let system: TestSystem;
  let alice: TestUser;
  let bob: TestUser;

  after(async () => {
    await system?.stop();
  });

  /** Sends and changes its own and the other's messages until `until`, recording what was acked. */
  async function mixedStream(
    client: ChatClient,
    user: TestUser,
    conversationId: string,
    shared: string[],
    until: number,
  ): Promise<Acked> {
    const acked: Acked = { sends: new Set(), changes: [], refused: 0 };
    const own: string[] = [];
    let round = 0;
    while (Date.now() < until) {
      round += 1;
      const step = round % 6;
      try {
        if (step === 0 || step === 3 || own.length === 0) {
          const messageId = (
            await client.request(
              'message.send',
              { conversationId, body: `${user.login} ${round}`, clientMsgId: randomUUID() },
              20_000,
            )
          ).messageId as string;
          acked.sends.add(messageId);
          own.push(messageId);
          shared.push(messageId);
          continue;
        }
        const mine = own.at(-1) as string;
        const anyone = shared[Math.floor(Math.random() * shared.length)] as string;
        const [type, frame, entryType, messageId] =
          step === 1
            ? ['message.edit', { messageId: mine, body: `${user.login} edit ${round}` }, 'message.edited', mine]
            : step === 2
              ? ['reaction.add', { messageId: anyone, emoji: '👍' }, 'reaction.changed', anyone]
              : step === 4
                ? ['reaction.remove', { messageId: anyone, emoji: '👍' }, 'reaction.changed', anyone]
                : ['message.delete', { messageId: own.shift() }, 'message.deleted', own[0] ?? ''];
        const target = (frame as { messageId: string }).messageId;
        const answer = await client.request(type as string, { conversationId, ...frame }, 20_000);
        acked.changes.push({
          type: entryType as string,
          messageId: type === 'message.delete' ? target : (messageId as string),
          actorId: user.id,
          seq: answer.seq,
        });
      } catch (error) {
        // `unavailable` (no answer in time while the writer was down) or a change to a message
        // deleted meanwhile: not acknowledged, so nothing is owed.
        if (!(error instanceof FrameError)) throw error;
        acked.refused += 1;
        await sleep(50);
      }
    }
    return acked;
  }

  it('keeps every acknowledged entry once, gap-free, and folds to history.get', async () => {
    system = await startSystem({ edges: 2, persisters: 1 });
    [alice, bob] = (await Promise.all(['alice', 'bob'].map((tag) => registerUser(system.auth.url, `mix-${tag}`)))) as [
      TestUser,
      TestUser,
    ];
    const a = await ChatClient.connect(system.edges[0]?.url ?? '', alice.accessToken);
    const b = await ChatClient.connect(system.edges[1]?.url ?? '', bob.accessToken);
    const conversationId = (await a.request('conversation.create_group', { title: 'mixed', members: [bob.id] }))
      .conversation.id as string;
    const shared: string[] = [];
    const until = Date.now() + STREAM_MS;
    const streams = Promise.all([
      mixedStream(a, alice, conversationId, shared, until),
      mixedStream(b, bob, conversationId, shared, until),
    ]);
    await sleep(STREAM_MS / 3);
    await system.persisters[0]?.kill();
    await system.addPersister();
    const [byAlice, byBob] = await streams;

    const acked = [byAlice, byBob];
    const sends = new Set(acked.flatMap((x) => [...x.sends]));
    const changes = acked.flatMap((x) => x.changes);
    expect(sends.size, 'messages acked').to.be.greaterThan(10);
    expect(changes.filter((c) => c.seq !== null).length, 'changes written').to.be.greaterThan(10);

    // Every acked message reaches the log (some may still be on the retry ladder).
    let log: Frame[] = [];
    await eventually(
      'every acked message in the log',
      async () => {
        log = await readLog(a, conversationId);
        const logged = new Set(log.filter((e) => e.type === 'message.new').map((e) => e.message.id));
        return [...sends].every((id) => logged.has(id));
      },
      60_000,
      500,
    );
    await sleep(1_000);
    log = await readLog(a, conversationId);

    // Gap-free, each message once, and each acked change is the entry at its seq.
    expect(log.map(seqOf)).to.deep.equal(Array.from({ length: log.length }, (_, i) => i + 1));
    const messageIds = log.filter((e) => e.type === 'message.new').map((e) => e.message.id);
    expect(new Set(messageIds).size).to.equal(messageIds.length);
    const bySeq = new Map(log.map((entry) => [seqOf(entry), entry]));
    for (const change of changes) {
      if (change.seq === null) continue;
      expect(bySeq.get(change.seq), JSON.stringify(change)).to.deep.include({
        type: change.type,
        messageId: change.messageId,
        actorId: change.actorId,
      });
    }
    const deletes = log.filter((e) => e.type === 'message.deleted').map((e) => e.messageId);
    expect(new Set(deletes).size, 'each message deleted at most once').to.equal(deletes.length);

    // What a client folds from the log is what history.get shows.
    const replica = new LogReplica(alice.id);
    replica.apply(log);
    const history: Frame[] = [];
    let page = (await a.request('history.get', { conversationId, limit: 100 })).messages as Frame[];
    while (page.length > 0) {
      history.unshift(...page);
      page = (await a.request('history.get', { conversationId, beforeSeq: page[0]?.seq, limit: 100 }))
        .messages as Frame[];
    }
    expect(comparable(history)).to.deep.equal(replica.current());
    a.close();
    b.close();
  });
});
