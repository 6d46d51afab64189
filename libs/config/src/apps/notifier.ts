import { z } from 'zod';
import { flag, optionalSecret, optionalUrl, positiveInt, stringList } from '../fields.js';
import { hostHeaderName, LOOPBACK_HOSTS } from '../loopback.js';
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

/** `name` or `name:port`, the name a DNS name, an IPv4 address or a bracketed IPv6 address. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

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
    NOTIFIER_WEBHOOK_SECRET: optionalSecret(),
    NOTIFIER_WEBHOOK_TIMEOUT_MS: positiveInt(5_000),
    NOTIFIER_ATTEMPTS: positiveInt(6),
    NOTIFIER_BACKOFF_MS: positiveInt(1_000),
    /** Messages to one user in one conversation within this window become one notification. */
    NOTIFIER_COLLAPSE_MS: positiveInt(2_000),
    /**
     * While a conversation stays unread, each further notification waits twice as long as the gap
     * before it, up to this.
     */
    NOTIFIER_COLLAPSE_MAX_MS: positiveInt(60_000),
    NOTIFIER_CONCURRENCY: positiveInt(16),
    /**
     * Who may see the queue board (/queues): `Authorization: Bearer <token>` (scripts), HTTP basic
     * auth with the user and password (a browser), or either when both are set. Neither: no board.
     */
    NOTIFIER_BOARD_TOKEN: optionalSecret(),
    NOTIFIER_BOARD_USER: z
      .string()
      .regex(/^[^:\s]{1,64}$/, 'must be 1-64 characters, without ":" or spaces')
      .optional(),
    NOTIFIER_BOARD_PASSWORD: optionalSecret(),
    /** Allows the board's write actions (retry, promote, pause, clean, add, obliterate); read-only otherwise. */
    NOTIFIER_BOARD_READ_WRITE: flag(false),
    /**
     * The Host headers the board answers to (`name` or `name:port`), against DNS rebinding. Unset:
     * `localhost`, `127.0.0.1` and `[::1]` with PORT.
     */
    NOTIFIER_BOARD_ALLOWED_HOSTS: stringList().refine((hosts) => hosts.every((host) => HOST_HEADER.test(host)), {
      message: 'must be host names or addresses with an optional :port, comma-separated (no scheme or path)',
    }),
  })
  .superRefine((env, ctx) => {
    if (env.NOTIFIER_COLLAPSE_MAX_MS < env.NOTIFIER_COLLAPSE_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFIER_COLLAPSE_MAX_MS'],
        message: 'must be at least NOTIFIER_COLLAPSE_MS',
      });
    }
    if (env.NOTIFIER_WEBHOOK_URL !== undefined && env.NOTIFIER_WEBHOOK_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFIER_WEBHOOK_SECRET'],
        message: 'is required when NOTIFIER_WEBHOOK_URL is set',
      });
    }
    if ((env.NOTIFIER_BOARD_USER === undefined) !== (env.NOTIFIER_BOARD_PASSWORD === undefined)) {
      const [missing, given] =
        env.NOTIFIER_BOARD_USER === undefined
          ? ['NOTIFIER_BOARD_USER', 'NOTIFIER_BOARD_PASSWORD']
          : ['NOTIFIER_BOARD_PASSWORD', 'NOTIFIER_BOARD_USER'];
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required when ${given} is set` });
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
    collapseMaxMs: env.NOTIFIER_COLLAPSE_MAX_MS,
    concurrency: env.NOTIFIER_CONCURRENCY,
    board: queueBoardConfigOf(env),
  }));

/**
 * The board, or none when no credentials are configured: an operator console that can be
 * reached without a login is not offered at all.
 */
function queueBoardConfigOf(env: {
  PORT: number;
  NOTIFIER_BOARD_TOKEN?: string | undefined;
  NOTIFIER_BOARD_USER?: string | undefined;
  NOTIFIER_BOARD_PASSWORD?: string | undefined;
  NOTIFIER_BOARD_READ_WRITE: boolean;
  NOTIFIER_BOARD_ALLOWED_HOSTS: string[];
}) {
  const token = env.NOTIFIER_BOARD_TOKEN;
  const basic =
    env.NOTIFIER_BOARD_USER !== undefined && env.NOTIFIER_BOARD_PASSWORD !== undefined
      ? { user: env.NOTIFIER_BOARD_USER, password: env.NOTIFIER_BOARD_PASSWORD }
      : undefined;
  if (token === undefined && basic === undefined) return undefined;
  const allowedHosts =
    env.NOTIFIER_BOARD_ALLOWED_HOSTS.length > 0
      ? env.NOTIFIER_BOARD_ALLOWED_HOSTS.map((host) => host.toLowerCase())
      : LOOPBACK_HOSTS.map((name) => `${hostHeaderName(name)}:${env.PORT}`);
  return { credentials: { token, basic }, readWrite: env.NOTIFIER_BOARD_READ_WRITE, allowedHosts };
}

export type NotifierConfig = z.output<typeof notifierEnv>;
export type QueueBoardConfig = NonNullable<NotifierConfig['board']>;
