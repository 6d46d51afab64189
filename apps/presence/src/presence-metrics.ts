import { Counter, type Registry } from 'prom-client';

/** What a presence worker counts; scraped at GET /metrics. */
export function presenceMetrics(registry: Registry) {
  const registers = [registry];
  return {
    events: new Counter({
      name: 'chat_presence_events_total',
      help: 'Presence events applied, by type',
      labelNames: ['type'],
      registers,
    }),
    transitions: new Counter({
      name: 'chat_presence_transitions_total',
      help: 'presence.changed published, by status',
      labelNames: ['status'],
      registers,
    }),
    nodesSwept: new Counter({
      name: 'chat_presence_nodes_swept_total',
      help: 'Edge nodes taken for dead after missing heartbeats',
      registers,
    }),
    resyncs: new Counter({
      name: 'chat_presence_resyncs_total',
      help: 'Snapshots requested from edge nodes Redis did not know',
      registers,
    }),
  };
}

export type PresenceMetrics = ReturnType<typeof presenceMetrics>;
