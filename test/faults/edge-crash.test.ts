import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { type AppProcess, startApp } from '../support/app-process.js';
import { ChatClient } from '../support/chat-client.js';
import { streamPairs } from '../support/fault-fixture.js';
import { STREAM_RATE_PER_S, STREAM_SECONDS } from '../support/fault-scale.js';
import { MessageStream, ResilientClient } from '../support/message-stream.js';
import { dropDatabaseAndClose, isolatedVhost } from '../support/private-services.js';
import { finishScenario } from '../support/reliability.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_URL } from '../support/test-environment.js';
import { registerUser } from '../support/users.js';

const NODE_TTL_MS = 2_000;

/**
 * Fault 4: an edge node is SIGKILLed with senders and receivers on it. Its clients reconnect to
 * the other node and resume by afterSeq with no gap and no duplicate; presence takes a user who
 * stays away offline within the node expiry, and back online when they reconnect.
 */
describe('fault: edge node SIGKILL', function () {
  this.timeout(180_000);
  const dbName = `fault_edge_${Date.now().toString(36)}`;
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let doomed: AppProcess;
  let mongo: MongoClient;

  after(async () => {
    await doomed?.stop();
    await system?.stop();
    await dropDatabaseAndClose(mongo, dbName);
    await vhost?.remove();
  });

  it('moves its clients to the other node without a gap or a duplicate, and settles their presence', async () => {
    vhost = await isolatedVhost('edge-crash');
    const env = { AMQP_URL: vhost.amqpUrl, MONGO_DB: dbName };
    system = await startSystem({
      edges: 1,
      persisters: 1,
      withPresence: true,
      env,
      edgeEnv: { PRESENCE_HEARTBEAT_INTERVAL_MS: '400' },
      presenceEnv: { PRESENCE_NODE_TTL_MS: String(NODE_TTL_MS), PRESENCE_SWEEP_INTERVAL_MS: '250' },
    });
    doomed = await startApp('ws-edge', {
      ...env,
      AUTH_JWKS_URL: `${system.auth.url}/.well-known/jwks.json`,
      NODE_ID: `doomed-${process.pid}`,
      PRESENCE_HEARTBEAT_INTERVAL_MS: '400',
    });
    const survivor = system.edges[0]?.url ?? '';
    mongo = await new MongoClient(MONGO_URL).connect();
    // Everyone starts on the doomed node; the survivor is second in their list.
    const pairs = await streamPairs(system.auth.url, [doomed.url, survivor], [doomed.url, survivor]);

    // A user who will stay away longer than the node expiry, watched from the surviving node.
    const away = await registerUser(system.auth.url, 'away');
    const watcher = await registerUser(system.auth.url, 'watcher');
    const watcherClient = await ChatClient.connect(survivor, watcher.accessToken);
    await watcherClient.request('conversation.open_direct', { userId: away.id });
    const awayClient = new ResilientClient(away.id, away.accessToken, [doomed.url]);
    await awayClient.connect();
    await watcherClient.waitFor((f) => f.type === 'presence.changed' && f.userId === away.id && f.status === 'online');

    const stream = new MessageStream(pairs, 'ek');
    stream.start(STREAM_RATE_PER_S);
    await sleep((STREAM_SECONDS * 1000) / 3);
    const killedAt = Date.now();
    await doomed.kill();
    // Clients notice and move; what was in flight on the dead node is resent (same clientMsgId).
    await Promise.all(pairs.flatMap((pair) => [pair.sender.resume([]), pair.receiver.resume([pair.conversationId])]));
    const movedMs = Date.now() - killedAt;
    const offline = await watcherClient.waitFor(
      (f) => f.type === 'presence.changed' && f.userId === away.id && f.status === 'offline',
      NODE_TTL_MS + 5_000,
    );
    const offlineAfterMs = Date.now() - killedAt;
    expect(offlineAfterMs).to.be.lessThan(NODE_TTL_MS + 3_000);
    expect(Date.parse(offline.lastSeen)).to.be.at.most(killedAt);
    awayClient.preferEdges([survivor]);
    await awayClient.resume([]);
    await watcherClient.waitFor(
      (f) =>
        f.type === 'presence.changed' &&
        f.userId === away.id &&
        f.status === 'online' &&
        watcherClient.frames.indexOf(f) > watcherClient.frames.indexOf(offline),
    );

    await sleep((STREAM_SECONDS * 1000 * 2) / 3);
    await stream.stop();
    await stream.settle();
    expect(pairs.every((pair) => pair.receiver.reconnects >= 1)).to.equal(true);
    await finishScenario({
      scenario: '4. edge node SIGKILL',
      fault: `SIGKILL of the edge node holding every client at 1/3; presence expiry ${NODE_TTL_MS} ms`,
      recoveryMs: movedMs,
      messages: mongo.db(dbName).collection('messages'),
      stream,
      pairs,
    });
    watcherClient.close();
    awayClient.close();
  });
});
