import type { Server } from 'node:http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type ListenOptions, listen } from './http-server.js';

/**
 * One Prometheus registry per process, with Node's own metrics (CPU, memory, GC, event-loop lag)
 * and `app` / `instance` labels on everything, so one scrape config covers every app.
 */
export function createMetricsRegistry(app: string, instance: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app, instance });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}

/** GET /metrics in the Prometheus text format. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.end(await registry.metrics());
  };
}

/** Buckets for latencies in seconds, from 1 ms to 10 s. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The metrics listener: `GET /metrics` and nothing else, on a port of its own (loopback by
 * default), so the public API ports never show counts, versions or session numbers.
 */
export function startMetricsServer(registry: Registry, options: ListenOptions): Promise<Server> {
  const handler = metricsHandler(registry);
  return listen((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      handler(req as never, res as never, () => undefined);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at GET /metrics\n');
  }, options);
}
