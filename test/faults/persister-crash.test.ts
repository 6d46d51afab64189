import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { Supervisor } from '../../scripts/src/supervisor.js';
import { type AppProcess, freePort, REPO_ROOT, startApp } from '../support/app-process.js';
import { streamPairs } from '../support/fault-fixture.js';
import { STREAM_RATE_PER_S, STREAM_SECONDS } from '../support/fault-scale.js';
import { MessageStream } from '../support/message-stream.js';
import { dropDatabaseAndClose, isolatedVhost } from '../support/private-services.js';
import { finishScenario } from '../support/reliability.js';
import { appEnvironment, MONGO_URL } from '../support/test-environment.js';
import { eventually } from '../support/wait.js';

/** Fault 1: the persister is SIGKILLed mid-stream; the npm start supervisor restarts it. */
describe('fault: persister SIGKILL under the supervisor', function () {
  this.timeout(180_000);
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  const dbName = `fault_persister_${Date.now().toString(36)}`;
  const apps: AppProcess[] = [];
  let supervisor: Supervisor;
  let mongo: MongoClient;
  const lines: string[] = [];

  after(async () => {
    await supervisor?.stop();
    await Promise.all(apps.map((app) => app.stop()));
    await dropDatabaseAndClose(mongo, dbName);
    await vhost?.remove();
  });

  it('loses nothing: every acked message stored once, gap-free, delivered once', async () => {
    vhost = await isolatedVhost('persister-crash');
    const env = { AMQP_URL: vhost.amqpUrl, MONGO_DB: dbName };
    const auth = await startApp('auth', env);
    apps.push(auth);
    const jwks = { ...env, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` };
    const [edgeA, edgeB] = await Promise.all([
      startApp('ws-edge', { ...jwks, NODE_ID: `fault-a-${process.pid}` }),
      startApp('ws-edge', { ...jwks, NODE_ID: `fault-b-${process.pid}` }),
    ]);
    apps.push(edgeA as AppProcess, edgeB as AppProcess);
    const persisterPort = await freePort();
    supervisor = new Supervisor(
      [
        {
          name: 'persister',
          script: join(REPO_ROOT, 'apps', 'persister', 'dist', 'main.js'),
          env: { ...process.env, ...appEnvironment, ...jwks, HOST: '127.0.0.1', PORT: String(persisterPort) },
        },
      ],
      (line) => lines.push(line),
    );
    supervisor.start();
    await eventually(
      'the persister healthy',
      async () => (await fetch(`http://127.0.0.1:${persisterPort}/healthz`)).ok,
      20_000,
    );
    mongo = await new MongoClient(MONGO_URL).connect();

    const pairs = await streamPairs(auth.url, [edgeA?.url ?? ''], [edgeB?.url ?? '']);
    const stream = new MessageStream(pairs, 'pk');
    stream.start(STREAM_RATE_PER_S);
    await sleep((STREAM_SECONDS * 1000) / 3);
    const pid = supervisor.pidOf('persister');
    const killedAt = Date.now();
    process.kill(pid ?? 0, 'SIGKILL');
    await eventually(
      'the supervisor restarted the persister',
      () => (supervisor.pidOf('persister') ?? pid) !== pid,
      10_000,
      50,
    );
    await eventually(
      'the restarted persister healthy',
      async () => (await fetch(`http://127.0.0.1:${persisterPort}/healthz`)).ok,
      20_000,
      50,
    );
    const restartedMs = Date.now() - killedAt;
    await sleep((STREAM_SECONDS * 1000 * 2) / 3);
    await stream.stop();
    await stream.settle();
    expect(lines.some((line) => /^\[persister\] exited \(SIGKILL\) .* restarting in \d+ ms$/.test(line))).to.equal(
      true,
    );

    const row = await finishScenario({
      scenario: '1. persister SIGKILL mid-stream, restarted by the supervisor',
      fault: 'SIGKILL of the only persister at 1/3 of the stream',
      recoveryMs: restartedMs,
      messages: mongo.db(dbName).collection('messages'),
      stream,
      pairs,
    });
    expect(row.persisted).to.equal(stream.acked.size);
  });
});
