import { BrokerConnection, ConfirmPublisher, QUEUES, QueueConsumer, topologyOf } from '@chat/broker';
import { loadConfig, persisterEnv } from '@chat/config';
import { createLogger } from '@chat/logger';
import { closeServer, connectTo, createMetricsRegistry, runApp, startOpsServer } from '@chat/runtime';
import { ConversationRepository, connectMongo, MessageRepository } from '@chat/storage';
import { BatchWriter } from './batch-writer.js';
import { InboundBatcher } from './inbound-batcher.js';
import { LastSeqFlusher } from './last-seq-flusher.js';
import { persisterMetrics } from './persister-metrics.js';
import { RetryLadder } from './retry-ladder.js';
import { SeqAllocator } from './seq-allocator.js';

runApp('persister', async () => {
  const config = loadConfig(persisterEnv);
  const logger = createLogger({ app: 'persister', level: config.logLevel, base: { port: config.http.port } });
  const registry = createMetricsRegistry('persister', String(config.http.port));
  const metrics = persisterMetrics(registry);

  const mongo = await connectTo('MongoDB', config.mongo.url, () =>
    connectMongo({ ...config.mongo, appName: 'chat-persister' }),
  );
  const broker = await connectTo('RabbitMQ', config.broker.url, () =>
    BrokerConnection.connect({
      url: config.broker.url,
      connectionName: `persister :${config.http.port}`,
      logger,
      topology: topologyOf(config.broker),
    }),
  );
  const publisher = new ConfirmPublisher(broker, logger);
  await broker.register(publisher);

  const messages = new MessageRepository(mongo.collections.messages);
  const seqs = new SeqAllocator((conversationId) => messages.lastSeqOf(conversationId));
  const conversations = new ConversationRepository(mongo.collections.conversations, mongo.collections.memberships);
  const lastSeqs = new LastSeqFlusher(conversations);
  const writer = new BatchWriter({ messages, conversations, seqs, publisher, lastSeqs, metrics });
  const ladder = new RetryLadder(publisher, config.broker.retryDelaysMs);
  const batcher = new InboundBatcher(writer, ladder, logger, {
    batchMax: config.batchMax,
    batchWaitMs: config.batchWaitMs,
    metrics,
  });
  // One consumer per shard; single active consumer gives each shard to one persister at a time.
  const shards = Array.from({ length: config.broker.inboundShards }, (_, shard) => {
    const queue = QUEUES.shard(shard);
    return new QueueConsumer(
      broker,
      logger,
      {
        queue,
        prefetch: config.prefetch,
        name: queue,
        // (Re)gaining a shard: another persister may have written it meanwhile, and what this
        // process held of it before is being redelivered.
        onAttached: () => {
          seqs.clear();
          batcher.dropQueue(queue);
        },
      },
      (delivery) => batcher.add(queue, delivery),
    );
  });
  for (const shard of shards) await broker.register(shard);

  const server = await startOpsServer({
    listen: config.http,
    logger,
    metrics: registry,
    checks: [
      { name: 'mongodb', check: () => mongo.ping() },
      { name: 'rabbitmq', check: () => broker.assertConnected() },
    ],
  });
  logger.info({ shards: shards.length, prefetch: config.prefetch, batchMax: config.batchMax }, 'persister consuming');

  return {
    logger,
    async stop() {
      await batcher.stop();
      await lastSeqs.idle();
      await Promise.all(shards.map((shard) => shard.stop()));
      await broker.close();
      await closeServer(server);
      await mongo.close();
    },
  };
});
