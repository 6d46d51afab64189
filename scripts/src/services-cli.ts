import { MissingServiceError } from './services/commands.js';
import { ensureServices } from './services/ensure-services.js';

/**
 * `npm run services`: makes RabbitMQ, Redis and the MongoDB-protocol server reachable and, if it
 * had to start FerretDB or mongod, keeps it running until Ctrl-C.
 */
async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`[services] ${line}\n`);
  const services = await ensureServices(process.env, log);
  log('RabbitMQ, Redis and MongoDB are reachable');
  if (services.started.length === 0) return;
  log(`running ${services.started.map((s) => s.name).join(', ')} until Ctrl-C`);
  const stop = async () => {
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`[services] ${error instanceof MissingServiceError ? '' : 'failed: '}${message}\n`);
  process.exit(1);
});
