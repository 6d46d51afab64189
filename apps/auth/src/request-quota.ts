import { RateLimitedError } from '@chat/contracts';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface QuotaLimits {
  /** Requests allowed per key (a client address, a user) within the window. */
  points: number;
  windowS: number;
}

/**
 * A fixed budget of costly requests per key and window, kept in Redis so every auth process
 * shares it. The point is taken before the work (an argon2 hash, a search), so bursts cannot pass.
 */
export class RequestQuota {
  readonly #limiter: RateLimiterRedis;
  readonly #refusal: string;

  /** `name` keys the counters (`<prefix>:<name>`); `refusal` is the 429's message. */
  constructor(redis: Redis, options: { keyPrefix: string; name: string; refusal: string; limits: QuotaLimits }) {
    this.#limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${options.keyPrefix}:${options.name}`,
      points: options.limits.points,
      duration: options.limits.windowS,
    });
    this.#refusal = options.refusal;
  }

  async take(key: string): Promise<void> {
    try {
      await this.#limiter.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw new RateLimitedError(this.#refusal, Math.ceil(error.msBeforeNext / 1000));
    }
  }
}
