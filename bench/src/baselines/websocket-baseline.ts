import { join } from 'node:path';
import type { LoadPool } from '../load/pool.js';
import type { RelayResult } from '../load/protocol.js';
import { round, summarize } from '../stats.js';
import { startChildServer } from './child-server.js';

/**
 * The WebSocket raw limit: a bare `ws` server relaying frames between client pairs, senders
 * writing as fast as their sockets take, from the same load-generator threads.
 */
export async function websocketBaseline(pool: LoadPool, durationMs: number) {
  const relay = await startChildServer(join(import.meta.dirname, 'ws-relay-server.js'));
  try {
    const results = await pool.each<RelayResult>(() => ({ kind: 'relay', url: relay.url, pairs: 4, durationMs }));
    const received = results.reduce((sum, r) => sum + r.received, 0);
    const elapsedS = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
    return {
      ratePerS: round(received / elapsedS, 0),
      latencyMs: summarize(results.flatMap((r) => r.latenciesMs)),
      server: 'ws, one process, relays each frame to its pair',
    };
  } finally {
    await relay.stop();
  }
}
