import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './app-process.js';
import { appEnvironment } from './test-environment.js';

const run = promisify(execFile);

/** Runs `npm run dlq:replay -- <args>` as an operator would (the compiled script), against `env`. */
export async function dlqReplay(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'scripts/dist/dlq-replay.js'), ...args], {
      env: { ...process.env, ...appEnvironment, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
