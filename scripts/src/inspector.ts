import WebSocket from 'ws';

const DEBUGGER_URL = /Debugger listening on (ws:\/\/\S+)/;

/**
 * Forces a full garbage collection in an app started with `--inspect=127.0.0.1:0`, through the
 * inspector address it printed, so a heap or RSS reading that follows is not GC timing. The
 * apps themselves expose nothing for this: it is for tests and benchmarks on loopback.
 */
export async function forceGc(appOutput: string): Promise<void> {
  const url = DEBUGGER_URL.exec(appOutput)?.[1];
  if (!url) throw new Error('the app was not started with --inspect (no "Debugger listening on" line)');
  const inspector = new WebSocket(url);
  try {
    await new Promise((resolve, reject) => {
      inspector.once('open', resolve);
      inspector.once('error', reject);
    });
    // Twice: objects with finalizers or weak references go in the second pass.
    for (let id = 1; id <= 2; id += 1) {
      await new Promise<void>((resolve) => {
        inspector.on('message', function answered(data) {
          if ((JSON.parse(data.toString()) as { id?: number }).id !== id) return;
          inspector.off('message', answered);
          resolve();
        });
        inspector.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      });
    }
  } finally {
    inspector.close();
  }
}
