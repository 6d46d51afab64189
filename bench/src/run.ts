import { join, resolve } from 'node:path';
import { forceGc } from '@chat/scripts/inspector';
import { brokerBaseline } from './baselines/broker-baseline.js';
import { startChildServer } from './baselines/child-server.js';
import { databaseBaseline } from './baselines/database-baseline.js';
import { websocketBaseline } from './baselines/websocket-baseline.js';
import { openBenchSession } from './bench-session.js';
import { INSPECTED_EDGE } from './bench-system.js';
import { directPairs, RemoteFixtures } from './fixtures.js';
import { machineFacts } from './machine.js';
import { parseOptions } from './options.js';
import { type BenchResults, headlineOf, writeReport } from './report.js';
import { idleConnections } from './scenarios/connections.js';
import { drain } from './scenarios/drain.js';
import { endToEnd } from './scenarios/end-to-end.js';
import { fanout } from './scenarios/fanout.js';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
/** The edges ping this often during the benchmark, so the idle window sees a few rounds. */
const BENCH_PING_INTERVAL_MS = 5_000;

/** `npm run bench`: starts the system, measures the raw stages and the scenarios, writes the report. */
async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const started = performance.now();
  const { env, system, fixtures, pool, cleanUp } = await openBenchSession(options.workers, log);
  const results: BenchResults = {
    runId: env.runId,
    startedAt: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    machine: await machineFacts(env),
  };
  try {
    log(`machine: ${results.machine.cores} × ${results.machine.cpuModel}, ${results.machine.database}`);
    if (!options.target) {
      log('starting the system');
      await system.start({ WS_PING_INTERVAL_MS: String(BENCH_PING_INTERVAL_MS) });
    }
    const edges: [string, string] = options.target?.edgeUrls ?? [system.url('ws-edge-1'), system.url('ws-edge-2')];
    // Against a running system the benchmark did not start, everything goes through its public API.
    const remote = options.target ? new RemoteFixtures(options.target.authUrl, edges[0], env.runId) : undefined;
    const users = (count: number, tag: string) => (remote ? remote.users(count, tag) : fixtures.users(count, tag));
    const conversation = (kind: 'direct' | 'group', members: Array<{ id: string; token: string }>) =>
      remote
        ? remote.conversation(kind, members)
        : fixtures.conversation(
            kind,
            members.map((m) => m.id),
          );

    if (options.only.has('baselines')) {
      log('raw stages');
      results.baselines = {
        broker: await brokerBaseline(env.amqpUrl, options.baselineMs),
        websocket: await websocketBaseline(pool, options.baselineMs),
        database: await databaseBaseline(env.services.mongoUrl, env.mongoDb, options.baselineMs),
      };
      log(
        `  broker ${results.baselines.broker.ratePerS}/s, websocket ${results.baselines.websocket.ratePerS}/s, database ${results.baselines.database.ratePerS}/s`,
      );
    }

    if (options.only.has('e2e')) {
      log('end to end');
      const people = await users(options.pairs * 2, 'pair');
      const pairs = await directPairs(people, (sender, receiver) => conversation('direct', [sender, receiver]));
      results.e2e = await endToEnd({
        pool,
        transport: 'chat',
        sendUrl: edges[0],
        receiveUrl: edges[1],
        pairs,
        stepRates: options.stepRates,
        stepMs: options.stepMs,
        ...(remote
          ? {}
          : {
              countStored: () => fixtures.countMessages(),
              metricsUrls: [...system.names('edge'), ...system.names('persister')].map((name) =>
                system.metricsUrl(name),
              ),
            }),
        log,
      });
    }

    if (options.only.has('fanout')) {
      log('group fanout');
      const members = await users(options.fanoutMembers, 'member');
      const conversationId = await conversation('group', members);
      results.fanout = await fanout({
        pool,
        transport: 'chat',
        urls: edges,
        conversationId,
        tokens: members.map((m) => m.token),
        messages: options.fanoutMessages,
        log,
      });
    }

    if (options.only.has('peer')) {
      log('Socket.IO peer');
      const peerEnv = { ...process.env, REDIS_URL: env.services.redisUrl, REDIS_PREFIX: env.redisPrefix };
      const peerScript = join(REPO_ROOT, 'bench', 'dist', 'peers', 'socketio', 'server.js');
      const peers = [await startChildServer(peerScript, peerEnv), await startChildServer(peerScript, peerEnv)];
      try {
        const rooms = Array.from({ length: options.pairs }, (_, i) => ({
          senderToken: '',
          receiverToken: '',
          conversationId: `room-${i}`,
        }));
        const peerE2e = await endToEnd({
          pool,
          transport: 'socketio',
          sendUrl: peers[0]?.url ?? '',
          receiveUrl: peers[1]?.url ?? '',
          pairs: rooms,
          stepRates: options.stepRates,
          stepMs: options.stepMs,
          log,
        });
        const peerFanout = await fanout({
          pool,
          transport: 'socketio',
          urls: [peers[0]?.url ?? '', peers[1]?.url ?? ''],
          conversationId: 'room-fanout',
          tokens: Array.from({ length: options.fanoutMembers }, () => ''),
          messages: options.fanoutMessages,
          log,
        });
        results.peer = { e2e: peerE2e, fanout: peerFanout };
      } finally {
        await Promise.all(peers.map((peer) => peer.stop()));
      }
    }

    if (options.only.has('connections') && !options.target) {
      log(`${options.idleConnections} idle connections`);
      const users = await fixtures.users(options.idleConnections, 'idle');
      results.connections = await idleConnections({
        pool,
        edgeUrl: edges[0],
        edgeMetricsUrl: system.metricsUrl(INSPECTED_EDGE),
        edgePid: system.pid(INSPECTED_EDGE),
        tokens: users.map((u) => u.token),
        idleWindowMs: options.quick ? 3_000 : 15_000,
        pingIntervalMs: BENCH_PING_INTERVAL_MS,
        forceGc: () => forceGc(system.output(INSPECTED_EDGE)),
        log,
      });
    }

    if (options.only.has('drain') && !options.target) {
      log(`drain of ${options.drainMessages} messages`);
      const count = options.quick ? 100 : 1_000;
      const users = await fixtures.users(count * 2, 'drain');
      const conversationIds: string[] = [];
      const members = new Map<string, [string, string]>();
      for (let i = 0; i < count; i += 1) {
        const a = users[i * 2];
        const b = users[i * 2 + 1];
        if (!a || !b) continue;
        const id = await fixtures.conversation('direct', [a.id, b.id]);
        conversationIds.push(id);
        members.set(id, [a.id, b.id]);
      }
      results.drain = await drain({
        amqpUrl: env.amqpUrl,
        conversationIds,
        members,
        messages: options.drainMessages,
        stopPersisters: () => system.stopPersisters(),
        startPersisters: async () => {
          await system.startPersisters();
          return system.names('persister').map((name) => system.metricsUrl(name));
        },
        log,
      });
    }
  } finally {
    await cleanUp();
  }
  results.durationS = Math.round((performance.now() - started) / 1000);
  results.headline = headlineOf(results);
  for (const target of results.headline.targets)
    log(`${target.met ? 'met    ' : 'NOT met'} ${target.target}: ${target.measured}`);
  const written = await writeReport(results, REPO_ROOT, options.writeDocs);
  log(`done in ${results.durationS} s; wrote ${written.map((path) => path.replace(`${REPO_ROOT}/`, '')).join(', ')}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
