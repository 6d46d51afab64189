import { z } from 'zod';
import { positiveInt } from '../fields.js';
import { brokerConfig, brokerEnv, httpEnv, loggingEnv, metricsListenConfig, redisConfig, redisEnv } from '../shared.js';

export const presenceEnv = z
  .object({
    ...loggingEnv,
    ...httpEnv(8084),
    ...redisEnv,
    ...brokerEnv,
    /** An edge node that has not sent a heartbeat for this long is dead, and its users offline. */
    PRESENCE_NODE_TTL_MS: positiveInt(30_000),
    /** How often the worker looks for dead nodes and settles users who left. */
    PRESENCE_SWEEP_INTERVAL_MS: positiveInt(500),
    /** A user without sessions goes offline only after this long, so a reload does not flap. */
    PRESENCE_OFFLINE_GRACE_MS: positiveInt(1_000),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT },
    metrics: metricsListenConfig(env),
    redis: redisConfig(env),
    broker: brokerConfig(env),
    nodeTtlMs: env.PRESENCE_NODE_TTL_MS,
    sweepIntervalMs: env.PRESENCE_SWEEP_INTERVAL_MS,
    offlineGraceMs: env.PRESENCE_OFFLINE_GRACE_MS,
  }));

export type PresenceConfig = z.output<typeof presenceEnv>;
