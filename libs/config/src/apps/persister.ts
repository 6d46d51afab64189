import { z } from 'zod';
import { intList, positiveInt } from '../fields.js';
import {
  brokerConfig,
  brokerEnv,
  httpEnv,
  loggingEnv,
  metricsListenConfig,
  mongoConfig,
  mongoEnv,
  redisConfig,
  redisEnv,
} from '../shared.js';

export const persisterEnv = z
  .object({
    ...loggingEnv,
    ...httpEnv(8085),
    ...mongoEnv,
    ...brokerEnv,
    ...redisEnv,
    /**
     * Shard queues behind chat.inbound (persister.messages.0..N-1). Only persisters know it; all
     * persisters of one deployment run with the same value (a persister refuses to start when it
     * finds a shard queue beyond its own count: those messages would have no consumer).
     */
    INBOUND_SHARDS: positiveInt(8).pipe(z.number().max(64)),
    /** Delays of the retry ladder, one delay queue per rung (persister.retry.<delay>). */
    RETRY_DELAYS_MS: intList([1_000, 5_000, 30_000, 120_000]),
    /** Unacked inbound messages per shard channel; bounds both memory and the largest batch. */
    PERSISTER_PREFETCH: positiveInt(2048),
    PERSISTER_BATCH_MAX: positiveInt(256),
    /** How long a partial batch waits for more messages before it is written anyway. */
    PERSISTER_BATCH_WAIT_MS: positiveInt(5),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT },
    metrics: metricsListenConfig(env),
    mongo: mongoConfig(env),
    broker: brokerConfig(env),
    redis: redisConfig(env),
    inboundShards: env.INBOUND_SHARDS,
    retryDelaysMs: env.RETRY_DELAYS_MS,
    prefetch: env.PERSISTER_PREFETCH,
    batchMax: env.PERSISTER_BATCH_MAX,
    batchWaitMs: env.PERSISTER_BATCH_WAIT_MS,
  }));

export type PersisterConfig = z.output<typeof persisterEnv>;
