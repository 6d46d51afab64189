import {
  BrokerConnection,
  ConfirmPublisher,
  EVENTS,
  EventPublisher,
  EventWorker,
  EXCHANGES,
  presenceQueue,
  QUEUES,
} from '@chat/broker';
import { loadConfig, presenceEnv } from '@chat/config';
import { createLogger } from '@chat/logger';
import { PresenceStore } from '@chat/presence-store';
import {
  closeServer,
  connectTo,
  createMetricsRegistry,
  eventWorkerCounters,
  runApp,
  startMetricsServer,
  startOpsServer,
} from '@chat/runtime';
import { Redis } from 'ioredis';
import { PresenceEventHandler } from './presence-events.js';
import { presenceMetrics } from './presence-metrics.js';
import { TransitionPublisher } from './transition-publisher.js';

const EVENT_PREFETCH = 200;

runApp('presence', async () => {
  const config = loadConfig(presenceEnv);
  const logger = createLogger({ app: 'presence', level: config.logLevel, base: { port: config.http.port } });
  const registry = createMetricsRegistry('presence', String(config.http.port));
  const metrics = presenceMetrics(registry);

  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await connectTo('Redis', config.redis.url, () => redis.connect());
  const store = new PresenceStore(redis, config.redis.prefix);
  const broker = await connectTo('RabbitMQ', config.broker.url, () =>
    BrokerConnection.connect({
      url: config.broker.url,
      connectionName: `presence :${config.http.port}`,
      logger,
      topology: { exchanges: [EXCHANGES.deliveries], queues: [presenceQueue] },
    }),
  );
  const confirmPublisher = new ConfirmPublisher(broker, logger);
  await broker.register(confirmPublisher);
  const publisher = new EventPublisher(confirmPublisher);

  const transitions = new TransitionPublisher(store, publisher, logger, metrics);
  const handler = new PresenceEventHandler(store, publisher, logger, metrics, () => transitions.drain());
  const worker = new EventWorker(broker, logger, {
    name: QUEUES.presenceEvents,
    queue: QUEUES.presenceEvents,
    prefetch: EVENT_PREFETCH,
    schema: EVENTS.presenceReport.schema,
    handle: (event) => handler.handle(event),
    // One at a time, in order: a session's disconnect must not overtake its connect.
    ordering: { kind: 'serial' },
    // Redis is unreachable: the event waits in the queue and is applied later.
    retry: { kind: 'requeue', delayMs: 1_000 },
    // Presence is soft state: what an invalid report would have said, the node's next snapshot repeats.
    poison: { kind: 'drop' },
    counters: eventWorkerCounters(registry, 'presence'),
  });
  await broker.register(worker.consumer);
  transitions.start();

  // Every worker sweeps and settles; the scripts are atomic, so each change happens once.
  const sweep = setInterval(() => {
    const now = Date.now();
    store
      .sweep(now - config.nodeTtlMs)
      .then(async (nodes) => {
        if (nodes > 0) {
          metrics.nodesSwept.inc(nodes);
          logger.info({ nodes }, 'swept edge nodes that stopped sending heartbeats');
        }
        if ((await store.settle(now - config.offlineGraceMs)) > 0) transitions.drain();
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'presence sweep failed'));
  }, config.sweepIntervalMs);
  sweep.unref();

  const metricsServer = await startMetricsServer(registry, config.metrics);
  const server = await startOpsServer({
    listen: config.http,
    logger,
    checks: [
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'rabbitmq', check: () => broker.assertConnected() },
    ],
  });
  logger.info(
    { nodeTtlMs: config.nodeTtlMs, sweepIntervalMs: config.sweepIntervalMs, offlineGraceMs: config.offlineGraceMs },
    'presence worker running',
  );

  return {
    logger,
    async stop() {
      clearInterval(sweep);
      await worker.stop();
      await transitions.stop();
      await broker.close();
      await closeServer(server);
      await closeServer(metricsServer);
      redis.disconnect();
    },
  };
});
