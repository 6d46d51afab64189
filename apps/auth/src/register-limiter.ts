import { RateLimitedError } from '@chat/contracts';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RegisterLimits {
  /** Registrations allowed per client address within the window; each one costs an argon2 hash. */
  perIp: number;
  windowS: number;
}

/** Bounds `POST /register` per client address, taken before the hash is computed. */
export class RegisterLimiter {
  readonly #byIp: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: RegisterLimits) {
    this.#byIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}:register:ip`,
      points: limits.perIp,
      duration: limits.windowS,
    });
  }

  async take(ip: string): Promise<void> {
    try {
      await this.#byIp.consume(ip);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw new RateLimitedError('too many registrations, try again later', Math.ceil(error.msBeforeNext / 1000));
    }
  }
}
