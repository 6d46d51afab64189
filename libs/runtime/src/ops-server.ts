import type { Server } from 'node:http';
import type { Logger } from '@chat/logger';
import express from 'express';
import { healthRoutes, type ReadinessCheck } from './health-routes.js';
import { errorHandler, notFoundHandler } from './http-errors.js';
import { type ListenOptions, listen } from './http-server.js';

/**
 * The small HTTP server of a worker app (persister, notifier, presence): health, readiness, and
 * whatever extra operator routes the app mounts. Metrics have a listener of their own
 * (`startMetricsServer`).
 */
export async function startOpsServer(options: {
  listen: ListenOptions;
  logger: Logger;
  checks: ReadinessCheck[];
  mount?: (app: express.Express) => void;
}): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(options.checks));
  options.mount?.(app);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return listen(app, options.listen);
}
