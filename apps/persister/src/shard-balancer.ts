import type { Logger } from '@chat/logger';
import type { Redis } from 'ioredis';

/** A shard's consumer, as the balancer sees it. */
export interface YieldableShard {
  /** Hands the shard to the next consumer in line (after settling what is in hand). */
  yieldQueue(): Promise<void>;
}

/** How often a persister says it is alive and looks at who else is. */
export const ROSTER_HEARTBEAT_MS = 2_000;
/** A persister silent this long is gone: its shards are shared out again. */
export const ROSTER_TTL_MS = 6_000;
/** A shard that delivers to a persister it is not assigned to is yielded at most this often. */
const STRAY_YIELD_INTERVAL_MS = 5_000;

/** The shards of `self` when `live` (sorted) persisters share `shards`: round-robin, so each has ⌊S/P⌋ or ⌈S/P⌉. */
export function assignedShards(live: readonly string[], self: string, shards: number): Set<number> {
  const index = live.indexOf(self);
  const assigned = new Set<number>();
  if (index < 0) return assigned;
  for (let shard = index; shard < shards; shard += live.length) assigned.add(shard);
  return assigned;
}

/**
 * Which persisters are alive: each one heartbeats into one sorted set (score: time) as
 * `<shard count>:<instance id>`, so a newcomer can see what shard count the others run with.
 */
export class PersisterRoster {
  readonly #redis: Redis;
  readonly #key: string;
  /** This persister's entry in the roster. */
  readonly member: string;

  constructor(redis: Redis, prefix: string, instanceId: string, shardCount: number) {
    this.#redis = redis;
    this.#key = `${prefix}:persisters`;
    this.member = `${shardCount}:${instanceId}`;
  }

  /** Says this persister is alive; returns every live persister's entry, sorted. */
  async beat(now = Date.now()): Promise<string[]> {
    const [, , live] = (await this.#redis
      .multi()
      .zadd(this.#key, now, this.member)
      .zremrangebyscore(this.#key, '-inf', now - ROSTER_TTL_MS)
      .zrange(this.#key, 0, -1)
      .exec()) as [unknown, unknown, [Error | null, string[]]];
    if (live[0]) throw live[0];
    return [...live[1]].sort();
  }

  /** The entries of the other persisters alive now, without joining. */
  async others(now = Date.now()): Promise<string[]> {
    const live = await this.#redis.zrangebyscore(this.#key, now - ROSTER_TTL_MS, '+inf');
    return live.filter((member) => member !== this.member);
  }

  async leave(): Promise<void> {
    await this.#redis.zrem(this.#key, this.member);
  }
}

/** The shard count a roster entry runs with; undefined for an entry of an older version (no count). */
export function shardCountOf(member: string): number | undefined {
  const match = /^(\d+):/.exec(member);
  return match ? Number(match[1]) : undefined;
}

/**
 * Balances the shards among the live persisters. Single active consumer gives a shard to the
 * consumer that subscribed first, so after a restart the newcomer stands by on every shard while
 * an older persister writes them all. Each persister therefore computes the same round-robin
 * assignment from the roster and, whenever the roster changes, yields every shard that is not
 * its own: yielding cancels and re-subscribes, moving it to the back of that shard's line. Once
 * every persister has yielded, each shard's first consumer is its assigned owner. A shard that
 * still delivers to a persister it is not assigned to (after a reconnect reshuffled the lines) is
 * yielded when it does. Yielding waits until the shard's messages in hand are acked, so a
 * handover loses nothing, duplicates nothing and keeps each conversation's order.
 */
export class ShardBalancer {
  readonly #roster: PersisterRoster;
  readonly #workers: readonly YieldableShard[];
  readonly #logger: Logger;
  #live: string[] = [];
  #assigned = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  readonly #yielding = new Set<number>();
  readonly #lastStrayYield = new Map<number, number>();

  constructor(roster: PersisterRoster, workers: readonly YieldableShard[], logger: Logger) {
    this.#roster = roster;
    this.#workers = workers;
    this.#logger = logger.child({ component: 'shard-balancer' });
  }

  /** Whether this persister is assigned the shard (before the first heartbeat: every shard). */
  owns(shard: number): boolean {
    return this.#live.length === 0 || this.#assigned.has(shard);
  }

  start(): void {
    void this.#tick();
    this.#timer = setInterval(() => void this.#tick(), ROSTER_HEARTBEAT_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#roster.leave().catch(() => undefined);
  }

  /** A shard delivered a message: if it is not ours, hand it to its owner (at most every few seconds). */
  delivered(shard: number): void {
    if (this.owns(shard) || this.#yielding.has(shard)) return;
    const now = Date.now();
    if (now - (this.#lastStrayYield.get(shard) ?? 0) < STRAY_YIELD_INTERVAL_MS) return;
    this.#lastStrayYield.set(shard, now);
    void this.#yield(shard, 'active on a shard assigned to another persister');
  }

  async #tick(): Promise<void> {
    let live: string[];
    try {
      live = await this.#roster.beat();
    } catch (error) {
      // Without the roster nothing moves: single active consumer still gives each shard one writer.
      this.#logger.warn({ err: error }, 'persister roster unavailable; shards stay where they are');
      return;
    }
    if (live.join() === this.#live.join()) return;
    this.#live = live;
    this.#assigned = assignedShards(live, this.#roster.member, this.#workers.length);
    this.#logger.info({ persisters: live.length, shards: [...this.#assigned] }, 'shard assignment changed');
    await Promise.all(
      this.#workers.map((_, shard) => (this.#assigned.has(shard) ? undefined : this.#yield(shard, 'roster changed'))),
    );
  }

  async #yield(shard: number, reason: string): Promise<void> {
    const worker = this.#workers[shard];
    if (!worker || this.#yielding.has(shard)) return;
    this.#yielding.add(shard);
    try {
      await worker.yieldQueue();
      this.#logger.debug({ shard, reason }, 'shard yielded');
    } catch (error) {
      this.#logger.warn({ err: error, shard }, 'yielding a shard failed');
    } finally {
      this.#yielding.delete(shard);
    }
  }
}
