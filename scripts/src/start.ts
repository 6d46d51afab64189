import { MissingServiceError } from './services/commands.js';
import { ensureServices } from './services/ensure-services.js';
import { Supervisor } from './supervisor.js';
import { LOCAL_PORTS, systemApps } from './system-apps.js';

/** `npm start`: the whole system on this machine, without Docker. */
async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`[start] ${line}\n`);
  const services = await ensureServices(process.env, log);
  const supervisor = new Supervisor(systemApps(process.env));
  supervisor.start();
  log('all apps started: auth http://127.0.0.1:8080, edges ws://127.0.0.1:8081/ws and ws://127.0.0.1:8082/ws');
  log(`web chat http://localhost:${LOCAL_PORTS.web} (open it in a browser)`);
  log('RabbitMQ console http://127.0.0.1:15672 (guest/guest). Ctrl-C stops everything.');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping apps`);
    await supervisor.stop();
    await services.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`[start] ${error instanceof MissingServiceError ? '' : 'failed: '}${message}\n`);
  process.exit(1);
});
