import { z } from 'zod';
import { stringList, url } from '../fields.js';
import { httpEnv, loggingEnv, metricsListenConfig } from '../shared.js';

const WEB_SOCKET_PROTOCOLS = ['ws:', 'wss:'];

/**
 * The web chat's server: where it listens, and the URLs it tells the page (`/config.json`). Those
 * are the URLs a browser reaches auth and the edges at, which behind a proxy or in compose are not
 * the addresses the apps listen on.
 */
export const webEnv = z
  .object({
    ...loggingEnv,
    ...httpEnv(8088),
    /** The auth service as the browser reaches it. */
    WEB_AUTH_URL: url('http://127.0.0.1:8080', ['http:', 'https:']),
    /** The edges' WebSocket endpoints as the browser reaches them, comma-separated, tried in turn. */
    WEB_EDGE_URLS: stringList()
      .transform((urls) => (urls.length > 0 ? urls : ['ws://127.0.0.1:8081/ws', 'ws://127.0.0.1:8082/ws']))
      .refine((urls) => urls.every((u) => URL.canParse(u) && WEB_SOCKET_PROTOCOLS.includes(new URL(u).protocol)), {
        message: 'must be a comma-separated list of ws:// or wss:// URLs',
      }),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT },
    metrics: metricsListenConfig(env),
    page: { authUrl: env.WEB_AUTH_URL.replace(/\/+$/, ''), edgeUrls: env.WEB_EDGE_URLS },
  }));

export type WebConfig = z.output<typeof webEnv>;
