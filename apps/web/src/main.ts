import { join } from 'node:path';
import { loadConfig, webEnv } from '@chat/config';
import { createLogger } from '@chat/logger';
import { closeServer, createMetricsRegistry, listen, runApp, startMetricsServer } from '@chat/runtime';
import { Counter } from 'prom-client';
import { loadSite, siteHandler } from './static-site.js';

/** Vite writes the page here (see vite.config.ts), beside this compiled file. */
const PUBLIC_DIR = join(import.meta.dirname, 'public');

runApp('web', async () => {
  const config = loadConfig(webEnv);
  const logger = createLogger({ app: 'web', level: config.logLevel, base: { port: config.http.port } });
  const registry = createMetricsRegistry('web', String(config.http.port));
  const requests = new Counter({
    name: 'chat_web_requests_total',
    help: 'HTTP answers of the web server, by status',
    labelNames: ['status'],
    registers: [registry],
  });
  const files = loadSite(PUBLIC_DIR);
  const server = await listen(
    siteHandler({ files, page: config.page, answered: (status) => requests.inc({ status: String(status) }) }),
    config.http,
  );
  const metricsServer = await startMetricsServer(registry, config.metrics);
  logger.info({ files: files.size, ...config.page }, 'serving the web chat');
  return {
    logger,
    async stop() {
      await closeServer(server);
      await closeServer(metricsServer);
    },
  };
});
