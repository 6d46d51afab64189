import { BrokerConnection, EVENTS, EventWorker, EXCHANGES, notifierQueue, QUEUES } from '@chat/broker';
import { loadConfig, notifierEnv } from '@chat/config';
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
import {
  ConversationRepository,
  connectMongo,
  LogRewrites,
  MessageRepository,
  NotificationRepository,
} from '@chat/storage';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { notificationProcessor } from './notification-processor.js';
import { NotificationScheduler, type NotifyJobData } from './notification-scheduler.js';
import { notifierMetrics } from './notifier-metrics.js';
import { PendingMessages } from './pending-messages.js';
import { QUEUE_BOARD_PATH, queueBoardRouter } from './queue-board.js';
import { LogTransport } from './transports/log-transport.js';
import { WebhookTransport } from './transports/webhook-transport.js';

export const NOTIFICATION_QUEUE = 'notifications';
const DELIVERY_PREFETCH = 100;
/** worker.close() waits for active jobs without a limit of its own. */
const WORKER_CLOSE_TIMEOUT_MS = 10_000;

runApp('notifier', async () => {
  const config = loadConfig(notifierEnv);
  const logger = createLogger({ app: 'notifier', level: config.logLevel, base: { port: config.http.port } });

  const mongo = await connectTo('MongoDB', config.mongo.url, () =>
    connectMongo({ ...config.mongo, appName: 'chat-notifier', logger }),
  );
  // BullMQ's blocking connections must retry forever (maxRetriesPerRequest: null).
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: null });
  await connectTo('Redis', config.redis.url, () => redis.connect());
  const bullPrefix = `${config.redis.prefix}:bull`;
  const queue = new Queue<NotifyJobData>(NOTIFICATION_QUEUE, {
    connection: redis,
    prefix: bullPrefix,
    // A failed attempt keeps its reason, not its stack: a trace names server paths, and the queue
    // board shows what is stored.
    defaultJobOptions: { stackTraceLimit: 0 },
  });
  const registry = createMetricsRegistry('notifier', String(config.http.port));
  const metrics = notifierMetrics(registry, queue);
  const presence = new PresenceStore(redis, config.redis.prefix);
  // A streak outlives its longest gap, so a conversation that keeps busy keeps its pace.
  const pending = new PendingMessages(redis, config.redis.prefix, 2 * config.collapseMaxMs);
  const transport = config.webhook ? new WebhookTransport(config.webhook) : new LogTransport(logger);

  const worker = new Worker<NotifyJobData>(
    NOTIFICATION_QUEUE,
    notificationProcessor({
      pending,
      presence,
      conversations: new ConversationRepository(
        mongo.collections.conversations,
        mongo.collections.memberships,
        mongo.dialect,
      ),
      messages: new MessageRepository(mongo.collections.messages, mongo.dialect),
      rewrites: new LogRewrites(redis, config.redis.prefix),
      notifications: new NotificationRepository(mongo.collections.notifications, mongo.dialect),
      transport,
      pacing: { collapseMs: config.collapseMs, collapseMaxMs: config.collapseMaxMs },
      logger,
      metrics,
    }),
    {
      connection: redis.duplicate({ maxRetriesPerRequest: null }),
      prefix: bullPrefix,
      concurrency: config.concurrency,
    },
  );
  worker.on('failed', (job, error) => {
    metrics.attemptFailures.inc();
    logger.warn(
      { jobId: job?.id, attempt: job?.attemptsMade, userId: job?.data.userId, reason: error.message },
      'notification attempt failed',
    );
  });
  worker.on('error', (error) => logger.warn({ err: error }, 'notification worker error'));

  const broker = await connectTo('RabbitMQ', config.broker.url, () =>
    BrokerConnection.connect({
      url: config.broker.url,
      connectionName: `notifier :${config.http.port}`,
      logger,
      topology: { exchanges: [EXCHANGES.events], queues: [notifierQueue] },
    }),
  );
  const scheduler = new NotificationScheduler(
    queue,
    pending,
    presence,
    {
      collapseMs: config.collapseMs,
      collapseMaxMs: config.collapseMaxMs,
      attempts: config.attempts,
      backoffMs: config.backoffMs,
    },
    logger,
    metrics,
  );
  const deliveries = new EventWorker(broker, logger, {
    name: QUEUES.notifierDeliveries,
    queue: QUEUES.notifierDeliveries,
    prefetch: DELIVERY_PREFETCH,
    // The queue is bound to notifications.due only.
    schema: EVENTS.notificationsDue.schema,
    handle: (event) => scheduler.handle(event),
    ordering: { kind: 'concurrent', limit: DELIVERY_PREFETCH },
    // Redis is unreachable: the message waits in the queue and is scheduled later.
    retry: { kind: 'requeue', delayMs: 1_000 },
    // A notification is a courtesy on top of a stored, delivered message: an event that can
    // never be read is counted and logged, not kept (chat.dead holds what the persister could not store).
    poison: { kind: 'drop' },
    counters: eventWorkerCounters(registry, 'notifier'),
  });
  await broker.register(deliveries.consumer);

  const metricsServer = await startMetricsServer(registry, config.metrics);
  const server = await startOpsServer({
    listen: config.http,
    logger,
    checks: [
      { name: 'mongodb', check: () => mongo.ping() },
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'rabbitmq', check: () => broker.assertConnected() },
    ],
    mount: (app) => {
      // No credentials configured: no board, and /queues is a 404 like any unknown path.
      if (config.board) app.use(QUEUE_BOARD_PATH, queueBoardRouter([queue], config.board));
    },
  });
  logger.info(
    {
      transport: transport.name,
      collapseMs: config.collapseMs,
      collapseMaxMs: config.collapseMaxMs,
      attempts: config.attempts,
      queueBoard: config.board ? QUEUE_BOARD_PATH : 'off (no NOTIFIER_BOARD_TOKEN or NOTIFIER_BOARD_USER)',
    },
    'notifier running',
  );

  return {
    logger,
    async stop() {
      await deliveries.stop();
      // Finish the jobs in hand if they finish soon; otherwise they return to the queue (stalled → retried).
      const closed = worker.close();
      const timedOut = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), WORKER_CLOSE_TIMEOUT_MS)),
      ]);
      if (timedOut) await worker.close(true);
      await queue.close();
      await broker.close();
      await closeServer(server);
      await closeServer(metricsServer);
      await mongo.close();
      redis.disconnect();
    },
  };
});
