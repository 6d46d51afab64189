import { z } from 'zod';
import { optionalUrl, positiveInt } from '../fields.js';
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

export const notifierEnv = z
  .object({
    ...loggingEnv,
    ...httpEnv(8083),
    ...mongoEnv,
    ...redisEnv,
    ...brokerEnv,
    /** Where notifications are POSTed; unset: they are written to the log instead. */
    NOTIFIER_WEBHOOK_URL: optionalUrl(['http:', 'https:']),
    /** HMAC-SHA256 key of the x-chat-signature header; required when NOTIFIER_WEBHOOK_URL is set. */
    NOTIFIER_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    NOTIFIER_WEBHOOK_TIMEOUT_MS: positiveInt(5_000),
    NOTIFIER_ATTEMPTS: positiveInt(6),
    NOTIFIER_BACKOFF_MS: positiveInt(1_000),
    /** Messages to one user in one conversation within this window become one notification. */
    NOTIFIER_COLLAPSE_MS: positiveInt(2_000),
    NOTIFIER_CONCURRENCY: positiveInt(16),
  })
  .superRefine((env, ctx) => {
    if (env.NOTIFIER_WEBHOOK_URL !== undefined && env.NOTIFIER_WEBHOOK_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFIER_WEBHOOK_SECRET'],
        message: 'is required when NOTIFIER_WEBHOOK_URL is set',
      });
    }
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT },
    metrics: metricsListenConfig(env),
    mongo: mongoConfig(env),
    redis: redisConfig(env),
    broker: brokerConfig(env),
    webhook:
      env.NOTIFIER_WEBHOOK_URL === undefined
        ? undefined
        : {
            url: env.NOTIFIER_WEBHOOK_URL,
            secret: env.NOTIFIER_WEBHOOK_SECRET ?? '',
            timeoutMs: env.NOTIFIER_WEBHOOK_TIMEOUT_MS,
          },
    attempts: env.NOTIFIER_ATTEMPTS,
    backoffMs: env.NOTIFIER_BACKOFF_MS,
    collapseMs: env.NOTIFIER_COLLAPSE_MS,
    concurrency: env.NOTIFIER_CONCURRENCY,
  }));

export type NotifierConfig = z.output<typeof notifierEnv>;
