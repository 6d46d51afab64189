import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A helper server process that prints `{"port": N}` once it listens. */
export async function startChildServer(
  script: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    createInterface({ input: child.stdout ?? process.stdin }).once('line', (line) => resolve(JSON.parse(line).port));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
