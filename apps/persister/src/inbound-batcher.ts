import type { InboundEvent } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import { ArrivalRate } from './arrival-rate.js';
import type { BatchWriter, WrittenBatch } from './batch-writer.js';
import { inboundIdOf } from './log-state.js';
import type { PersisterMetrics } from './persister-metrics.js';

export interface InboundBatcherOptions {
  batchMax: number;
  batchWaitMs: number;
  metrics: PersisterMetrics;
}

/** Written batches not yet settled: bounds memory while writes run ahead. */
const MAX_BATCHES_IN_FLIGHT = 32;

/** A message was not stored and announced this time; the shard worker sends it round the retry ladder. */
export class NotPersistedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NotPersistedError';
  }
}

interface Submitted {
  event: InboundEvent;
  /** The shard queue it came from: a lost channel drops what it submitted. */
  queue: string;
  /** Whether it carries `chat-replayed-at` (counted when it is stored). */
  replayed: boolean;
  /** Whether it may have been handled before (redelivered, retried or replayed). */
  seenBefore: boolean;
  settle: (reason?: string) => void;
}

/**
 * The persister's pipeline, in one place: every shard worker submits its messages here, and each
 * submission settles once its message is stored and announced (or with the reason it was not).
 *
 *   submit → batch (≤ batchMax, ≤ batchWaitMs when messages come fast enough to fill it)
 *          → write (seq, insert) → lastSeq group commit
 *          → announce (fanout publish, confirmed)
 *          → conclude (a delete's text erased, commands answered) → settle → the worker acks
 *
 * One batch is written at a time, in arrival order, and written batches are announced in that
 * same order, so each conversation (which lives on one shard) is written and announced in order.
 * A batch settles once it is announced and concluded; a slow conclusion (erasing a deleted
 * message's text) holds back only its own batch's acks, and acks may go out of order (the
 * channel acks each delivery on its own then). The next batch is written while earlier ones
 * wait for their lastSeq group commit. Batching across shards makes a batch as large as the
 * load allows instead of one small batch per shard (measured: 8 shards at 400 msg/s gave
 * batches of 3.6 messages).
 */
export class InboundBatcher {
  readonly #writer: BatchWriter;
  readonly #logger: Logger;
  readonly #options: InboundBatcherOptions;
  #pending: Submitted[] = [];
  /** The batch being written (one at a time). */
  #writing: Promise<void> | undefined;
  /** Announces of written batches, chained in order (never rejects). */
  #announced: Promise<void> = Promise.resolve();
  /** Written batches not yet settled. */
  #inFlight = 0;
  /** Written batches not yet announced (a part of `#inFlight`). */
  #announcing = 0;
  #timer: { cancel(): void } | undefined;
  readonly #arrivals = new ArrivalRate();
  /** Submitted and not yet settled, and who waits for that to reach 0. */
  #unsettled = 0;
  #idle: Array<() => void> = [];

  constructor(writer: BatchWriter, logger: Logger, options: InboundBatcherOptions) {
    this.#writer = writer;
    this.#logger = logger;
    this.#options = options;
  }

  /**
   * Resolves once the message is stored and announced; rejects with `NotPersistedError` otherwise.
   * Unless told it is fresh (`seenBefore: false`), an event is taken as possibly handled before.
   */
  submit(event: InboundEvent, queue: string, origin: { replayed?: boolean; seenBefore?: boolean } = {}): Promise<void> {
    const replayed = origin.replayed ?? false;
    const seenBefore = origin.seenBefore ?? true;
    return new Promise<void>((resolve, reject) => {
      this.#unsettled += 1;
      const settle = (reason?: string) => {
        if (reason === undefined) resolve();
        else reject(new NotPersistedError(reason));
        this.#unsettled -= 1;
        if (this.#unsettled === 0) for (const wake of this.#idle.splice(0)) wake();
      };
      this.#pending.push({ event, queue, replayed, seenBefore, settle });
      this.#arrivals.arrived();
      this.#schedule();
    });
  }

  /** Resolves when everything submitted so far is settled. */
  idle(): Promise<void> {
    if (this.#unsettled === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * A shard's channel was lost: its unacked messages are being redelivered (perhaps to another
   * persister), so what it submitted and is not yet being written is not written here.
   */
  dropQueue(queue: string): void {
    const dropped = this.#pending.filter((item) => item.queue === queue);
    this.#pending = this.#pending.filter((item) => item.queue !== queue);
    for (const item of dropped) item.settle('shard channel lost; redelivered');
  }

  /**
   * Another write may start while earlier batches wait for their lastSeq and announce only when
   * a full batch is waiting (a backlog). Under a light load running ahead only adds contention
   * (measured: p50 at 400 msg/s went from 79 to 166 ms), so batches then go one at a time. A
   * batch that is announced and only waits for its conclusion (a delete's erasure) does not
   * count: the next batches are written meanwhile as if it were done. Counted, it held every
   * write back until a full batch had gathered behind it: with deletes in the load, batches grew
   * to 52 messages and the p50 passed a second at 1,000 frames/s (docs/benchmarks.md, row 43).
   */
  #mayWrite(): boolean {
    if (this.#writing || this.#pending.length === 0) return false;
    if (this.#inFlight >= MAX_BATCHES_IN_FLIGHT) return false;
    return this.#announcing === 0 || this.#pending.length >= this.#options.batchMax;
  }

  #schedule(): void {
    if (!this.#mayWrite()) return;
    if (this.#pending.length >= this.#options.batchMax) {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#runBatch();
    } else if (this.#timer === undefined) {
      const run = () => {
        this.#timer = undefined;
        this.#runBatch();
      };
      // A short wait lets a burst fill the batch, and under load the next batch fills while this
      // one writes. It pays only when another message is due within it: at a trickle it would
      // add the whole wait to every message and gather nothing, so the batch goes at once (after
      // the deliveries of this turn of the event loop).
      const waitMs = this.#options.batchWaitMs;
      if (this.#arrivals.perMs() * waitMs >= 1) {
        const timer = setTimeout(run, waitMs);
        this.#timer = { cancel: () => clearTimeout(timer) };
      } else {
        const immediate = setImmediate(run);
        this.#timer = { cancel: () => clearImmediate(immediate) };
      }
    }
  }

  #runBatch(): void {
    if (!this.#mayWrite()) return;
    const batch = this.#pending.splice(0, this.#options.batchMax);
    const started = performance.now();
    this.#writing = this.#writer
      .write(
        batch.map((item) => item.event),
        new Set(batch.filter((item) => item.seenBefore).map((item) => inboundIdOf(item.event))),
      )
      .then(
        (written) => {
          this.#inFlight += 1;
          this.#announcing += 1;
          // The next batch's announce waits for this one's, never for its erasures and answers.
          const announced = this.#announced.then(() => this.#writer.announce(written));
          this.#announced = announced
            .catch(() => undefined)
            .finally(() => {
              this.#announcing -= 1;
              this.#schedule();
            });
          void this.#finish(batch, written, announced, started).finally(() => {
            this.#inFlight -= 1;
            this.#schedule();
          });
        },
        (error: unknown) => {
          // Whatever failed (the database, a bug), every message of the batch takes the retry ladder.
          this.#logger.warn({ err: error, size: batch.length }, 'batch write failed; sending it to the retry ladder');
          for (const item of batch) item.settle(describe(error));
        },
      )
      .finally(() => {
        this.#writing = undefined;
        this.#schedule();
      });
  }

  /** Settles each message of a written batch once it is announced and concluded; never rejects. */
  async #finish(batch: Submitted[], written: WrittenBatch, announced: Promise<void>, started: number): Promise<void> {
    const { metrics } = this.#options;
    try {
      await announced;
      await this.#writer.conclude(written);
    } catch (error) {
      // lastSeq, the announce or the erasure failed after the write: retry all; the next pass finds them stored.
      this.#logger.warn(
        { err: error, size: batch.length },
        'batch not announced or not concluded; sending it to the retry ladder',
      );
      for (const item of batch) item.settle(describe(error));
      return;
    }
    const done = new Set([
      ...written.persisted.map((doc) => doc._id),
      ...written.answers.map((answer) => answer.event.commandId),
    ]);
    metrics.batchSize.observe(batch.length);
    metrics.persisted.inc(written.inserted);
    metrics.duplicates.inc(Math.max(0, written.persisted.length + written.entries.length - written.inserted));
    metrics.announced.inc(written.persisted.length);
    let replayed = 0;
    for (const item of batch) {
      const id = inboundIdOf(item.event);
      if (done.has(id)) {
        if (item.replayed) replayed += 1;
        item.settle();
      } else {
        item.settle(written.failed.get(id) ?? 'not written');
      }
    }
    if (replayed > 0) metrics.replayed.inc(replayed);
    metrics.batchDuration.observe((performance.now() - started) / 1000);
    this.#logger.debug(
      {
        size: batch.length,
        inserted: written.inserted,
        failed: written.failed.size,
        ms: Math.round(performance.now() - started),
      },
      'batch written',
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
