import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { forceGc } from '@chat/scripts/inspector';
import { rollQuorumWal } from '@chat/scripts/services/rabbitmq-wal';
import { startChildServer } from './baselines/child-server.js';
import { rawStages } from './baselines/raw-stages.js';
import { openBenchSession } from './bench-session.js';
import { INSPECTED_EDGE } from './bench-system.js';
import { type CpuAccount, childAccount, loadGeneratorAccount, portOf, serviceAccounts } from './cost/cpu-accounts.js';
import { CpuMeter, costBetween } from './cost/cpu-meter.js';
import { type BenchUser, directPairs, RemoteFixtures } from './fixtures.js';
import type { PairSpec } from './load/protocol.js';
import { machineFacts } from './machine.js';
import { parseOptions } from './options.js';
import { headlineOf } from './report/headline.js';
import type { BenchResults } from './report/results.js';
import { writeReport } from './report/write.js';
import { idleConnections } from './scenarios/connections.js';
import { drain } from './scenarios/drain.js';
import { endToEnd } from './scenarios/end-to-end.js';
import { fanout } from './scenarios/fanout.js';
import { historyReads } from './scenarios/history.js';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
/** The edges ping this often during the benchmark, so the idle window sees a few rounds. */
const BENCH_PING_INTERVAL_MS = 5_000;
/** Warm-up rates (one message per conversation): one the pipeline carries, and the peer's, which has nothing to warm. */
const CHAT_WARMUP_PER_S = 100;

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
  const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
  try {
    log(`machine: ${results.machine.cores} × ${results.machine.cpuModel}, ${results.machine.database}`);
    if (!options.target) {
      log('starting the system');
      await system.start({ WS_PING_INTERVAL_MS: String(BENCH_PING_INTERVAL_MS) });
    }
    // With one edge (BENCH_EDGES=1), senders and receivers share it.
    const localEdges = () => {
      const [first = '', second = first] = system.names('edge').map((name) => system.url(name));
      return [first, second] as [string, string];
    };
    const edges: [string, string] = options.target?.edgeUrls ?? localEdges();
    // Against a running system the benchmark did not start, everything goes through its public API.
    const remote = options.target ? new RemoteFixtures(options.target.authUrl, edges[0], env.runId) : undefined;
    const users = (count: number, tag: string) => (remote ? remote.users(count, tag) : fixtures.users(count, tag));
    const openDirects = async (couples: Array<[BenchUser, BenchUser]>) => {
      if (!remote)
        return fixtures.conversations(
          'direct',
          couples.map(([a, b]) => [a.id, b.id]),
        );
      const ids: string[] = [];
      for (const couple of couples) ids.push(await remote.conversation('direct', couple));
      return ids;
    };
    const pairsOf = async (conversations: number, tag: string) =>
      directPairs(await users(conversations * 2, tag), openDirects);

    // Whose CPU the cost tables list: the apps (asked at each reading, so restarts are followed),
    // the shared services by the ports they serve, this process, and helper servers while they run.
    const extraAccounts: CpuAccount[] = [];
    const services = remote
      ? []
      : serviceAccounts({
          rabbitmq: portOf(env.services.amqpUrl, 5672),
          redis: portOf(env.services.redisUrl, 6379),
          database: portOf(env.services.mongoUrl, 27017),
          ...(results.machine.database.startsWith('FerretDB')
            ? { postgres: portOf(env.services.ferretPostgresUrl, 5432) }
            : {}),
        });
    log(`  cost table covers: ${services.map((account) => account.name).join(', ') || 'no shared service'}`);
    const meter = new CpuMeter(() => [
      ...[...system.apps.keys()].map((name) => childAccount(name, 'app', () => system.pid(name))),
      ...services,
      loadGeneratorAccount(),
      ...extraAccounts,
    ]);

    if (!remote) {
      // The floor under every per-message figure: the system up, nothing sent.
      const idle = meter.snapshot();
      await sleep(options.quick ? 2_000 : 5_000);
      results.idleCpu = costBetween(idle, meter.snapshot(), 0);
      log(`  idle: machine ${results.idleCpu.machineBusyPercent}% of one core busy`);
    }

    if (options.only.has('baselines')) {
      log(`raw stages (${elapsed()})`);
      results.baselines = await rawStages({
        amqpUrl: env.amqpUrl,
        mongoUrl: env.services.mongoUrl,
        mongoDb: env.mongoDb,
        durationMs: options.baselineMs,
        backlogMessages: options.backlogMessages,
        pool,
        meter,
        log,
      });
    }

    // The broker's quorum-queue WAL starts afresh before each scenario that writes through it, so
    // its roll-over (a burst of broker work every 512 MB written) falls outside the measured steps.
    const freshBrokerWal = async () => {
      if (remote) return;
      log(
        `  broker WAL ${(await rollQuorumWal()) ? 'rolled over before measuring' : 'not rolled over (no rabbitmqctl for this broker)'}`,
      );
    };

    const chatRun = (label: string, pairs: PairSpec[], mixedShare = 0) =>
      endToEnd({
        label,
        pool,
        transport: 'chat',
        urls: edges,
        pairs,
        rates: options.rates,
        stepMs: options.stepMs,
        warmupPerS: CHAT_WARMUP_PER_S,
        mixedShare,
        meter,
        ...(remote
          ? {}
          : {
              // New messages only: the log's other entries (edits, reactions, ...) share the collection and carry a kind.
              countStored: () => fixtures.countMessages({ kind: { $exists: false } }),
              countEntries: () => fixtures.countMessages({ kind: { $exists: true } }),
              metricsUrls: [...system.names('edge'), ...system.names('persister')].map((name) =>
                system.metricsUrl(name),
              ),
            }),
        log,
      });

    if (options.only.has('e2e')) {
      log(`end to end over ${options.conversations} conversations (${elapsed()})`);
      const pairs = await pairsOf(options.conversations, 'pair');
      await freshBrokerWal();
      results.e2e = await chatRun(`e2e×${options.conversations}`, pairs);
      if (options.mixedShare > 0) {
        log(`end to end over ${options.conversations} conversations, ${options.mixedShare * 100}% other kinds`);
        await freshBrokerWal();
        results.e2eMixed = await chatRun(`mixed×${options.conversations}`, pairs, options.mixedShare);
      }
    }

    if (options.only.has('e2e-few')) {
      log(`end to end over ${options.fewConversations} conversations (${elapsed()})`);
      const few = await pairsOf(options.fewConversations, 'few');
      await freshBrokerWal();
      results.e2eFew = await chatRun(`e2e×${options.fewConversations}`, few);
    }

    if (options.only.has('fanout')) {
      log(`group fanout, ${options.fanoutRuns} runs (${elapsed()})`);
      const members = await users(options.fanoutMembers, 'member');
      const conversationId = remote
        ? await remote.conversation('group', members)
        : await fixtures.conversation(
            'group',
            members.map((m) => m.id),
          );
      await freshBrokerWal();
      results.fanout = await fanout({
        pool,
        transport: 'chat',
        urls: edges,
        conversationId,
        tokens: members.map((m) => m.token),
        messages: options.fanoutMessages,
        runs: options.fanoutRuns,
        meter,
        log,
      });
    }

    if (options.only.has('peer')) {
      log(`Socket.IO peer (${elapsed()})`);
      const peerEnv = { ...process.env, REDIS_URL: env.services.redisUrl, REDIS_PREFIX: env.redisPrefix };
      const peerScript = join(REPO_ROOT, 'bench', 'dist', 'peers', 'socketio', 'server.js');
      const peers = [await startChildServer(peerScript, peerEnv), await startChildServer(peerScript, peerEnv)];
      for (const [index, peer] of peers.entries())
        extraAccounts.push(childAccount(`socket.io node ${index + 1}`, 'peer', () => peer.child.pid));
      try {
        const peerUrls: [string, string] = [peers[0]?.url ?? '', peers[1]?.url ?? ''];
        const rooms: PairSpec[] = Array.from({ length: options.conversations }, (_, i) => ({
          senderToken: '',
          receiverToken: '',
          conversationId: `room-${i}`,
          sendNode: i % 2,
        }));
        const peerE2e = await endToEnd({
          label: `peer×${options.conversations}`,
          pool,
          transport: 'socketio',
          urls: peerUrls,
          pairs: rooms,
          rates: options.peerRates,
          stepMs: options.stepMs,
          warmupPerS: 0,
          meter,
          log,
        });
        const peerFanout = await fanout({
          pool,
          transport: 'socketio',
          urls: peerUrls,
          conversationId: 'room-fanout',
          tokens: Array.from({ length: options.fanoutMembers }, () => ''),
          messages: options.fanoutMessages,
          runs: options.fanoutRuns,
          meter,
          log,
        });
        results.peer = { e2e: peerE2e, fanout: peerFanout };
      } finally {
        extraAccounts.length = 0;
        await Promise.all(peers.map((peer) => peer.stop()));
      }
    }

    if (options.only.has('connections') && !options.target) {
      log(`${options.idleConnections} idle connections (${elapsed()})`);
      const idleUsers = await fixtures.users(options.idleConnections, 'idle');
      results.connections = await idleConnections({
        pool,
        edgeUrl: edges[0],
        edgeMetricsUrl: system.metricsUrl(INSPECTED_EDGE),
        edgePid: system.pid(INSPECTED_EDGE),
        tokens: idleUsers.map((u) => u.token),
        idleWindowMs: options.quick ? 3_000 : 15_000,
        pingIntervalMs: BENCH_PING_INTERVAL_MS,
        forceGc: () => forceGc(system.output(INSPECTED_EDGE)),
        log,
      });
    }

    if (options.only.has('history') && !options.target) {
      log(`history reads, ${options.historyEntries} entries against 100 (${elapsed()})`);
      results.history = await historyReads({
        mongoUrl: env.services.mongoUrl,
        mongoDb: env.mongoDb,
        shortEntries: 100,
        longEntries: options.historyEntries,
        repetitions: options.quick ? 5 : 20,
        log,
      });
    }

    if (options.only.has('drain') && !options.target) {
      log(`drain of ${options.drainMessages} messages (${elapsed()})`);
      const count = options.quick ? 100 : 1_000;
      const drainUsers = await fixtures.users(count * 2, 'drain');
      const couples = Array.from({ length: count }, (_, i) => [drainUsers[i * 2], drainUsers[i * 2 + 1]] as const);
      const memberLists = couples.map(([a, b]) => [a?.id ?? '', b?.id ?? ''] as [string, string]);
      const conversationIds = await fixtures.conversations('direct', memberLists);
      const members = new Map(conversationIds.map((id, i) => [id, memberLists[i] as [string, string]]));
      await freshBrokerWal();
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
        notifierMetricsUrl: system.names('notifier').map((name) => system.metricsUrl(name))[0],
        maxDrainMs: options.maxDrainMs,
        meter,
        log,
      });
    }
  } finally {
    await cleanUp();
  }
  results.durationS = Math.round((performance.now() - started) / 1000);
  results.headline = headlineOf(results);
  for (const ratio of results.headline.ratios) log(`ratio ${ratio.value ?? '?'}: ${ratio.figure} (${ratio.how})`);
  for (const target of results.headline.targets)
    log(`${target.met === null ? 'n/a    ' : target.met ? 'met    ' : 'NOT met'} ${target.target}: ${target.measured}`);
  const written = await writeReport(results, REPO_ROOT, options.writeDocs);
  log(
    `done in ${results.durationS} s (${Math.floor(results.durationS / 60)} min ${results.durationS % 60} s); wrote ${written.map((path) => path.replace(`${REPO_ROOT}/`, '')).join(', ')}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
