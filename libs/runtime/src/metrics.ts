import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';

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
