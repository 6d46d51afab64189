import { round } from './stats.js';

/**
 * Sums of the Prometheus samples of one scrape, by metric name (labels summed away), except
 * that a `phase` or `source` label is kept, as `name:value`.
 */
export type MetricSums = Map<string, number>;

export async function scrape(urls: readonly string[]): Promise<MetricSums> {
  const sums: MetricSums = new Map();
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith('chat_')) continue;
      const phase = /(?:phase|source)="([a-z_]+)"/.exec(line)?.[1];
      const base = line.slice(0, line.search(/[{ ]/));
      const name = phase ? `${base}:${phase}` : base;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (!line.includes('le="')) sums.set(name, (sums.get(name) ?? 0) + value);
    }
  }
  return sums;
}

/** What the servers say happened between two scrapes: where the time of a step went. */
export function serverSideOf(before: MetricSums, after: MetricSums) {
  const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const batches = delta('chat_persister_batch_size_count');
  const deliveries = delta('chat_edge_delivery_latency_seconds_count');
  return {
    persisterBatches: batches,
    meanBatchSize: round(batches ? delta('chat_persister_batch_size_sum') / batches : 0, 1),
    meanBatchMs: round(batches ? (delta('chat_persister_batch_duration_seconds_sum') / batches) * 1000 : 0, 1),
    edgePublished: delta('chat_edge_messages_published_total'),
    edgeDelivered: delta('chat_edge_messages_delivered_total'),
    meanAcceptedToPushMs: round(
      deliveries ? (delta('chat_edge_delivery_latency_seconds_sum') / deliveries) * 1000 : 0,
      1,
    ),
    retries: delta('chat_persister_events_retried_total'),
    deadLettered: delta('chat_persister_events_poison_total'),
    meanPhaseMs: Object.fromEntries(
      ['seq', 'state', 'insert', 'last_seq', 'presence', 'announce', 'erase'].map((phase) => {
        const count = delta(`chat_persister_phase_seconds_count:${phase}`);
        return [phase, round(count ? (delta(`chat_persister_phase_seconds_sum:${phase}`) / count) * 1000 : 0, 1)];
      }),
    ),
  };
}

export type ServerSide = ReturnType<typeof serverSideOf>;
