import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerCommand, WorkerReply } from './protocol.js';

/** The load-generator threads: one command at a time to each, answers collected in order. */
export class LoadPool {
  readonly #workers: Worker[];

  constructor(size: number) {
    this.#workers = Array.from(
      { length: size },
      () => new Worker(join(import.meta.dirname, 'worker.js'), { resourceLimits: { maxOldGenerationSizeMb: 1_024 } }),
    );
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Sends one command to each worker (by index) and waits for every answer. */
  async each<T extends WorkerReply>(command: (index: number) => WorkerCommand | undefined): Promise<T[]> {
    const replies = await Promise.all(
      this.#workers.map((worker, index) => {
        const message = command(index);
        if (!message) return undefined;
        return new Promise<WorkerReply>((resolve, reject) => {
          const onMessage = (reply: WorkerReply) => {
            worker.off('error', onError);
            resolve(reply);
          };
          const onError = (error: Error) => {
            worker.off('message', onMessage);
            reject(error);
          };
          worker.once('message', onMessage);
          worker.once('error', onError);
          worker.postMessage(message);
        });
      }),
    );
    const answered = replies.filter((reply): reply is WorkerReply => reply !== undefined);
    for (const reply of answered)
      if (reply.kind === 'ready' && reply.error) throw new Error(`load worker: ${reply.error}`);
    return answered as T[];
  }

  async close(): Promise<void> {
    await this.each(() => ({ kind: 'close' })).catch(() => undefined);
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}

/** Splits items over n workers, round robin. */
export function split<T>(items: readonly T[], n: number): T[][] {
  const parts: T[][] = Array.from({ length: n }, () => []);
  for (const [index, item] of items.entries()) parts[index % n]?.push(item);
  return parts;
}
