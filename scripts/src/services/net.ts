import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** True when something accepts TCP connections at host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Waits until host:port accepts connections; `alive` lets a crashed starter fail fast. */
export async function waitForPort(
  host: string,
  port: number,
  options: { timeoutMs: number; what: string; alive?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(host, port)) return;
    if (options.alive && !options.alive()) throw new Error(`${options.what} exited before it listened on ${port}`);
    await sleep(200);
  }
  throw new Error(`${options.what} did not listen on ${host}:${port} within ${options.timeoutMs} ms`);
}

/** Host and port of a service URL, with the protocol's default port. */
export function hostPortOf(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port ? Number(parsed.port) : defaultPort };
}
