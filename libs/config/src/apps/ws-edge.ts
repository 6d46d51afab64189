import { hostname } from 'node:os';
import { MAX_GROUP_MEMBERS } from '@chat/contracts';
import { z } from 'zod';
import { flag, positiveInt, stringList } from '../fields.js';
import { isLoopbackHost } from '../loopback.js';
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
  tokenVerifyConfig,
  tokenVerifyEnv,
} from '../shared.js';

const nodeIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;

export const wsEdgeEnv = z
  .object({
    ...loggingEnv,
    ...httpEnv(8081),
    ...mongoEnv,
    ...redisEnv,
    ...brokerEnv,
    ...tokenVerifyEnv,
    /** Names this node's delivery queue `edge.<NODE_ID>`; defaults to `<hostname>-<PORT>`. */
    NODE_ID: z.string().regex(nodeIdPattern, 'must be 1-64 letters, digits, _ . or -').optional(),
    /**
     * Browser origins allowed to open a WebSocket, or `*` for any. Unset: any origin on a
     * loopback HOST (a local run, said at start), none otherwise. Clients that send no Origin
     * (wscat, servers) always pass.
     */
    WS_ALLOWED_ORIGINS: stringList(),
    /** Trust X-Forwarded-For from one proxy hop (behind a load balancer), so logs show the client's address. */
    TRUST_PROXY: flag(false),
    WS_MAX_CONNECTIONS_PER_USER: positiveInt(20),
    /** Sustained client frames per second per connection, and the burst above it (token bucket). */
    WS_RATE_PER_S: positiveInt(200),
    WS_RATE_BURST: positiveInt(1_000),
    /** How often each connection is pinged; one that has not answered the previous ping is dropped. */
    WS_PING_INTERVAL_MS: positiveInt(30_000),
    PRESENCE_HEARTBEAT_INTERVAL_MS: positiveInt(10_000),
    DELIVERY_PREFETCH: positiveInt(256),
    /**
     * How long an account's standing (exists, session epoch) is believed before a frame asks the
     * database again. Auth's notices close sockets at once; this bounds a notice that was lost.
     */
    ACCOUNT_CHECK_TTL_MS: positiveInt(120_000),
    /**
     * Members a group may have, its creator included. At most MAX_GROUP_MEMBERS: the member list
     * travels with every message, and a longer one would fail the message's own schema.
     */
    GROUP_MAX_MEMBERS: positiveInt(MAX_GROUP_MEMBERS).pipe(z.number().max(MAX_GROUP_MEMBERS)),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    nodeId:
      env.NODE_ID ??
      `${hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .slice(0, 50)}-${env.PORT}`,
    http: {
      host: env.HOST,
      port: env.PORT,
      trustProxy: env.TRUST_PROXY,
      /** CORS on the REST API: only origins set explicitly, never the local run's "any". */
      corsOrigins: env.WS_ALLOWED_ORIGINS,
    },
    metrics: metricsListenConfig(env),
    mongo: mongoConfig(env),
    redis: redisConfig(env),
    broker: brokerConfig(env),
    tokens: tokenVerifyConfig(env),
    limits: {
      allowedOrigins: allowedOriginsOf(env.WS_ALLOWED_ORIGINS, env.HOST),
      maxConnectionsPerUser: env.WS_MAX_CONNECTIONS_PER_USER,
      ratePerS: env.WS_RATE_PER_S,
      rateBurst: env.WS_RATE_BURST,
      pingIntervalMs: env.WS_PING_INTERVAL_MS,
      groupMaxMembers: env.GROUP_MAX_MEMBERS,
    },
    accountCheckTtlMs: env.ACCOUNT_CHECK_TTL_MS,
    presenceHeartbeatIntervalMs: env.PRESENCE_HEARTBEAT_INTERVAL_MS,
    deliveryPrefetch: env.DELIVERY_PREFETCH,
  }));

export type WsEdgeConfig = z.output<typeof wsEdgeEnv>;

/** Which browser origins may open a WebSocket: any, or exactly these (none when empty). */
export type AllowedOrigins = { any: true; reason: 'configured' | 'local run' } | { any: false; origins: string[] };

/** `*` allows any; an explicit list allows those; unset allows any only where nobody else can connect. */
export function allowedOriginsOf(configured: readonly string[], host: string): AllowedOrigins {
  if (configured.includes('*')) return { any: true, reason: 'configured' };
  if (configured.length > 0) return { any: false, origins: [...configured] };
  return isLoopbackHost(host) ? { any: true, reason: 'local run' } : { any: false, origins: [] };
}
