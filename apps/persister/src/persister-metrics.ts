import { LATENCY_BUCKETS_S } from '@chat/runtime';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What a persister counts; scraped at GET /metrics. */
export function persisterMetrics(registry: Registry) {
  const registers = [registry];
  return {
    batchSize: new Histogram({
      name: 'chat_persister_batch_size',
      help: 'Messages per written batch',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'chat_persister_batch_duration_seconds',
      help: 'From taking a batch to acking it: lookup, insert, lastSeq, fanout publish',
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    phase: new Histogram({
      name: 'chat_persister_phase_seconds',
      help: "Time per batch in each phase: seq (counters), state (what commands are judged against), insert, last_seq (the batch log heads, one Redis command), presence (who of the recipients is offline, one Redis round trip), announce (fanout publish and notifications.due), erase (the text of the batch's deleted messages, while later batches go on)",
      labelNames: ['phase'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    persisted: new Counter({
      name: 'chat_persister_messages_persisted_total',
      help: 'Messages newly written to MongoDB',
      registers,
    }),
    duplicates: new Counter({
      name: 'chat_persister_duplicates_total',
      help: 'Messages found already stored (redelivered or resent): announced again, not written',
      registers,
    }),
    announced: new Counter({
      name: 'chat_persister_messages_announced_total',
      help: 'Messages announced in log.appended on chat.events, confirmed',
      registers,
    }),
    replayed: new Counter({
      name: 'chat_persister_replayed_total',
      help: 'Messages that came back from the dead-letter queue through dlq:replay',
      registers,
    }),
  };
}

export type PersisterMetrics = ReturnType<typeof persisterMetrics>;
