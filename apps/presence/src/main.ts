import { BrokerConnection, ConfirmPublisher, QUEUES, QueueConsumer, topologyOf } from '@chat/broker';
import { loadConfig, presenceEnv } from '@chat/config';
import { createLogger } from '@chat/logger';
import { PresenceStore } from '@chat/presence-store';
import { closeServer, connectTo, createMetricsRegistry, runApp, startOpsServer } from '@chat/runtime';
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
      topology: topologyOf(config.broker),
    }),
  );
  const publisher = new ConfirmPublisher(broker, logger);
  await broker.register(publisher);

  const transitions = new TransitionPublisher(store, publisher, logger, metrics);
  const handler = new PresenceEventHandler(store, publisher, logger, metrics, () => transitions.drain());
  const consumer = new QueueConsumer(
    broker,
    logger,
    { queue: QUEUES.presenceEvents, prefetch: EVENT_PREFETCH, name: QUEUES.presenceEvents },
    // One at a time, in order: a session's disconnect must not overtake its connect.
    (() => {
      let chain = Promise.resolve();
      return (delivery) => {
        chain = chain.then(() => handler.handle(delivery));
      };
    })(),
  );
  await broker.register(consumer);
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

  const server = await startOpsServer({
    listen: config.http,
    logger,
    metrics: registry,
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
      await consumer.stop();
      await transitions.stop();
      await broker.close();
      await closeServer(server);
      redis.disconnect();
    },
  };
});
