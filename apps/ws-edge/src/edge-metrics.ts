import { CLOSE_CODES } from '@chat/contracts';
import { LATENCY_BUCKETS_S } from '@chat/runtime';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LocalSessions } from './local-sessions.js';

/** What an edge node counts; scraped at GET /metrics on its metrics listener. */
export function edgeMetrics(registry: Registry, sessions: LocalSessions) {
  const registers = [registry];
  return {
    sessions: new Gauge({
      name: 'chat_edge_sessions',
      help: 'Open WebSocket sessions on this node',
      registers,
      collect() {
        this.set(sessions.size);
      },
    }),
    users: new Gauge({
      name: 'chat_edge_users',
      help: 'Distinct users with a session on this node',
      registers,
      collect() {
        this.set(sessions.userCount);
      },
    }),
    framesIn: new Counter({
      name: 'chat_edge_frames_in_total',
      help: 'Client frames received, by frame type (invalid: not a known type)',
      labelNames: ['type'],
      registers,
    }),
    framesOut: new Counter({
      name: 'chat_edge_frames_out_total',
      help: 'Frames sent to clients, by frame type',
      labelNames: ['type'],
      registers,
    }),
    errors: new Counter({
      name: 'chat_edge_errors_total',
      help: 'Error frames sent to clients, by code',
      labelNames: ['code'],
      registers,
    }),
    messagesPublished: new Counter({
      name: 'chat_edge_messages_published_total',
      help: 'message.created published to chat.inbound and confirmed by the broker',
      registers,
    }),
    publishFailures: new Counter({
      name: 'chat_edge_publish_failures_total',
      help: 'message.send answered unavailable because the broker did not confirm',
      registers,
    }),
    messagesDelivered: new Counter({
      name: 'chat_edge_messages_delivered_total',
      help: 'message.new frames written to client connections',
      registers,
    }),
    resyncs: new Counter({
      name: 'chat_edge_resyncs_total',
      help: 'session.resync frames sent because the deliveries queue was declared again (pushes may have been lost)',
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'chat_edge_delivery_latency_seconds',
      help: 'From a message being accepted (createdAt) to its push on this node',
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    upgradeRefusals: new Counter({
      name: 'chat_edge_upgrade_refusals_total',
      help: 'WebSocket upgrades refused, by HTTP status',
      labelNames: ['status'],
      registers,
    }),
    closes: new Counter({
      name: 'chat_edge_closes_total',
      help: 'Sessions closed, by WebSocket close code (codes the server uses or the protocol defines; any other is "other")',
      labelNames: ['code'],
      registers,
    }),
  };
}

export type EdgeMetrics = ReturnType<typeof edgeMetrics>;

/** Codes a close may carry that are worth a series of their own: ours, and the protocol's (RFC 6455, 7.4.1). */
const KNOWN_CLOSE_CODES = new Set<number>([
  ...Object.values(CLOSE_CODES),
  1002,
  1003,
  1005,
  1006,
  1007,
  1010,
  1011,
  1015,
]);

/**
 * The `code` label of a close. A client chooses the code it closes with (any of 3000–4999), so
 * labelling by the raw code would let any client create thousands of series.
 */
export function closeCodeLabel(code: number): string {
  return KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other';
}
