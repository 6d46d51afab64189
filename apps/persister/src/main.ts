import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  attemptsOf,
  BrokerConnection,
  ConfirmPublisher,
  DeadLetters,
  deadQueue,
  EventPublisher,
  EventWorker,
  EXCHANGES,
  HEADERS,
  QUEUES,
  retryQueue,
  shardQueue,
} from '@chat/broker';
import { loadConfig, persisterEnv } from '@chat/config';
import { inboundEvent } from '@chat/contracts';
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
  LogHeads,
  LogRewrites,
  MessageRepository,
  NotificationRepository,
} from '@chat/storage';
import { Redis } from 'ioredis';
import { BatchWriter } from './batch-writer.js';
import { InboundBatcher } from './inbound-batcher.js';
import { persisterMetrics } from './persister-metrics.js';
import { SeqAllocator } from './seq-allocator.js';
import { PersisterRoster, ShardBalancer } from './shard-balancer.js';
import { assertNoForeignShards, assertRosterShardCount } from './shard-count-guard.js';

runApp('persister', async () => {
  const config = loadConfig(persisterEnv);
  const logger = createLogger({ app: 'persister', level: config.logLevel, base: { port: config.http.port } });
  const registry = createMetricsRegistry('persister', String(config.http.port));
  const metrics = persisterMetrics(registry);
  // Who this process is, in the roster and in consumer tags: a restart is a new persister.
  const instanceId = `${hostname()}-${config.http.port}-${randomBytes(3).toString('hex')}`;

  const mongo = await connectTo('MongoDB', config.mongo.url, () =>
    connectMongo({ ...config.mongo, appName: 'chat-persister', logger }),
  );
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await connectTo('Redis', config.redis.url, () => redis.connect());
  const roster = new PersisterRoster(redis, config.redis.prefix, instanceId, config.inboundShards);
  await assertRosterShardCount(roster, config.inboundShards);
  const broker = await connectTo('RabbitMQ', config.broker.url, () =>
    BrokerConnection.connect({
      url: config.broker.url,
      connectionName: `persister :${config.http.port}`,
      logger,
      topology: {
        exchanges: [EXCHANGES.inbound, EXCHANGES.events, EXCHANGES.dead],
        queues: [
          ...Array.from({ length: config.inboundShards }, (_, shard) => shardQueue(shard)),
          ...config.retryDelaysMs.map(retryQueue),
          deadQueue,
        ],
      },
    }),
  );
  await assertNoForeignShards(broker, config.inboundShards);
  const confirmPublisher = new ConfirmPublisher(broker, logger);
  await broker.register(confirmPublisher);
  const publisher = new EventPublisher(confirmPublisher);
  const deadLetters = new DeadLetters(confirmPublisher);

  const messages = new MessageRepository(mongo.collections.messages, mongo.dialect, mongo.operationDeadlineMs);
  const lastSeqs = new LogHeads(redis, config.redis.prefix, messages);
  const seqs = new SeqAllocator(
    (conversationId) => messages.lastSeqOf(conversationId),
    (conversationIds) => lastSeqs.of(conversationIds),
  );
  const conversations = new ConversationRepository(
    mongo.collections.conversations,
    mongo.collections.memberships,
    mongo.dialect,
  );
  const notifications = new NotificationRepository(mongo.collections.notifications, mongo.dialect);
  const writer = new BatchWriter({
    messages,
    conversations,
    notifications,
    seqs,
    publisher,
    lastSeqs,
    rewrites: new LogRewrites(redis, config.redis.prefix),
    presence: new PresenceStore(redis, config.redis.prefix),
    metrics,
    logger,
  });
  const batcher = new InboundBatcher(writer, logger, {
    batchMax: config.batchMax,
    batchWaitMs: config.batchWaitMs,
    metrics,
  });
  const counters = eventWorkerCounters(registry, 'persister');
  let balancer: ShardBalancer | undefined;
  // One worker per shard; single active consumer gives each shard to one persister at a time.
  const shards = Array.from({ length: config.inboundShards }, (_, shard) => {
    const queue = QUEUES.shard(shard);
    return new EventWorker(broker, logger, {
      name: queue,
      queue,
      prefetch: config.prefetch,
      // Messages and the commands that append the log's other entries, in one order per conversation.
      schema: inboundEvent,
      inspect: (event, delivery) =>
        delivery.message.properties.headers?.[HEADERS.conversationId] === event.conversationId
          ? undefined
          : 'conversation-id header does not match the message',
      handle: (event, delivery) => {
        balancer?.delivered(shard);
        const replayed = Boolean(delivery.message.properties.headers?.[HEADERS.replayedAt]);
        // Only a message delivered before, retried or replayed can have been written already.
        const seenBefore = replayed || delivery.redelivered || attemptsOf(delivery) > 0;
        return batcher.submit(event, queue, { replayed, seenBefore });
      },
      // Every message of the shard goes into the batch at once; order is kept by the batcher.
      ordering: { kind: 'concurrent', limit: config.prefetch },
      retry: { kind: 'ladder', delaysMs: config.retryDelaysMs, deadLetters },
      poison: { kind: 'dead-letter', deadLetters },
      counters,
      tagPrefix: instanceId,
      // (Re)gaining a shard: another persister may have written it meanwhile, and what this
      // process held of it before is being redelivered.
      onAttached: () => {
        seqs.clear();
        writer.forgetLogs();
        batcher.dropQueue(queue);
      },
    });
  });
  for (const shard of shards) await broker.register(shard.consumer);
  balancer = new ShardBalancer(roster, shards, logger);
  balancer.start();

  const metricsServer = await startMetricsServer(registry, config.metrics);
  const server = await startOpsServer({
    listen: config.http,
    logger,
    checks: [
      { name: 'mongodb', check: () => mongo.ping() },
      { name: 'rabbitmq', check: () => broker.assertConnected() },
    ],
  });
  logger.info(
    { instanceId, shards: shards.length, prefetch: config.prefetch, batchMax: config.batchMax },
    'persister consuming',
  );

  return {
    logger,
    async stop() {
      await balancer?.stop();
      // Stop taking messages; those in hand are written, announced and acked first.
      await Promise.all(shards.map((shard) => shard.stop()));
      await batcher.idle();
      await broker.close();
      await closeServer(server);
      await closeServer(metricsServer);
      await mongo.close();
      redis.disconnect();
    },
  };
});
