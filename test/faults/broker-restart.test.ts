import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { streamPairs } from '../support/fault-fixture.js';
import { STREAM_RATE_PER_S, STREAM_SECONDS } from '../support/fault-scale.js';
import { MessageStream } from '../support/message-stream.js';
import { dropDatabaseAndClose, type PrivateBroker, startPrivateBroker } from '../support/private-services.js';
import { finishScenario } from '../support/reliability.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_URL } from '../support/test-environment.js';
import { eventually } from '../support/wait.js';

const RECONNECT_LIMIT_MS = 10_000;

/**
 * Fault 3: the broker (a node of this test's own) is killed mid-stream and started again. Every
 * app reconnects by itself; every message the client got an ack for is stored; every other one
 * got `unavailable` (none is silently dropped) and is stored once after the client resends it.
 */
describe('fault: broker restart mid-stream', function () {
  this.timeout(240_000);
  const dbName = `fault_broker_${Date.now().toString(36)}`;
  let broker: PrivateBroker;
  let system: TestSystem;
  let mongo: MongoClient;

  after(async () => {
    await system?.stop();
    await broker?.destroy();
    await dropDatabaseAndClose(mongo, dbName);
  });

  it('reconnects every app within 10 s, and loses nothing it acked', async () => {
    broker = await startPrivateBroker();
    system = await startSystem({
      edges: 2,
      persisters: 1,
      env: { AMQP_URL: broker.amqpUrl, MONGO_DB: dbName, RETRY_DELAYS_MS: '500,1000' },
    });
    mongo = await new MongoClient(MONGO_URL).connect();
    const pairs = await streamPairs(system.auth.url, [system.edges[0]?.url ?? ''], [system.edges[1]?.url ?? '']);
    const stream = new MessageStream(pairs, 'bk');
    stream.start(STREAM_RATE_PER_S);
    await sleep((STREAM_SECONDS * 1000) / 3);

    await broker.kill();
    await sleep(1_000);
    await broker.restart();
    const restartedAt = Date.now();
    const apps = [...system.edges, ...system.persisters];
    await eventually(
      'every app connected to the broker again',
      async () => (await Promise.all(apps.map(async (app) => (await fetch(`${app.url}/readyz`)).ok))).every(Boolean),
      RECONNECT_LIMIT_MS + 5_000,
      100,
    );
    const reconnectMs = Date.now() - restartedAt;
    expect(reconnectMs).to.be.lessThan(RECONNECT_LIMIT_MS);

    await sleep((STREAM_SECONDS * 1000 * 2) / 3);
    await stream.stop();
    const unavailable = stream.count('unavailable');
    // No message went unanswered: each got its ack or an unavailable error.
    expect(stream.count('unanswered')).to.equal(0);
    expect(stream.count('refused')).to.equal(0);
    expect(unavailable).to.be.greaterThan(0);
    await stream.settle();

    // Pushes made while the broker was down are gone with the edges' queues: clients resume.
    await finishScenario({
      scenario: '3. broker restart mid-stream',
      fault: 'SIGKILL of the RabbitMQ node at 1/3 of the stream, restarted 1 s later',
      recoveryMs: reconnectMs,
      messages: mongo.db(dbName).collection('messages'),
      stream,
      pairs,
    });
  });
});
