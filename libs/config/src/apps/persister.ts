import { z } from 'zod';
import { positiveInt } from '../fields.js';
import { brokerConfig, brokerEnv, httpEnv, loggingEnv, mongoConfig, mongoEnv } from '../shared.js';

export const persisterEnv = z
  .object({
    ...loggingEnv,
    ...httpEnv(8085),
    ...mongoEnv,
    ...brokerEnv,
    /** Unacked inbound messages per shard channel; bounds both memory and the largest batch. */
    PERSISTER_PREFETCH: positiveInt(2048),
    PERSISTER_BATCH_MAX: positiveInt(256),
    /** How long a partial batch waits for more messages before it is written anyway. */
    PERSISTER_BATCH_WAIT_MS: positiveInt(5),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT },
    mongo: mongoConfig(env),
    broker: brokerConfig(env),
    prefetch: env.PERSISTER_PREFETCH,
    batchMax: env.PERSISTER_BATCH_MAX,
    batchWaitMs: env.PERSISTER_BATCH_WAIT_MS,
  }));

export type PersisterConfig = z.output<typeof persisterEnv>;
