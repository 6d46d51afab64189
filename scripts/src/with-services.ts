import { spawn } from 'node:child_process';
import { MissingServiceError } from './services/commands.js';
import { ensureServices } from './services/ensure-services.js';

/**
 * `with-services <command...>`: makes the local services reachable (starting what is installed
 * but stopped), runs the command, stops what it started, and exits with the command's code.
 * `npm test` is `with-services mocha`.
 */
async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) throw new Error('usage: with-services <command> [args...]');
  const log = (line: string) => process.stderr.write(`[services] ${line}\n`);
  const services = await ensureServices(process.env, log);
  try {
    const child = spawn(command, args, { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    return await new Promise<number>((resolve) => {
      child.once('error', (error) => {
        log(`could not run ${command}: ${error.message}`);
        resolve(127);
      });
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await services.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`[services] ${error instanceof MissingServiceError ? '' : 'failed: '}${message}\n`);
    process.exit(1);
  },
);
