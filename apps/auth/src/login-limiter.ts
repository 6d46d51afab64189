import { RateLimitedError } from '@chat/contracts';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  /** Failures allowed per login within the window. */
  perLogin: number;
  /** Failures allowed per client address within the window; higher, so one office is not locked out. */
  perIp: number;
  windowS: number;
}

/**
 * Counts failed logins in Redis, per login and per client address. Only failures count, so a
 * user's correct password is refused only when their own login, or their address, is over its bound.
 */
export class LoginLimiter {
  readonly #byLogin: RateLimiterRedis;
  readonly #byIp: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: LoginLimits) {
    this.#byLogin = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}:login-fail:login`,
      points: limits.perLogin,
      duration: limits.windowS,
    });
    this.#byIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}:login-fail:ip`,
      points: limits.perIp,
      duration: limits.windowS,
    });
  }

  /** Throws `rate_limited` (with when to retry) if either counter is spent. */
  async assertAllowed(login: string, ip: string): Promise<void> {
    const [byLogin, byIp] = await Promise.all([this.#byLogin.get(login), this.#byIp.get(ip)]);
    const blocked = [
      spent(byLogin, this.#byLogin.points) ? byLogin : null,
      spent(byIp, this.#byIp.points) ? byIp : null,
    ].filter((res): res is RateLimiterRes => res !== null);
    if (blocked.length > 0) {
      const retryAfterMs = Math.max(...blocked.map((res) => res.msBeforeNext));
      throw new RateLimitedError('too many failed logins, try again later', Math.ceil(retryAfterMs / 1000));
    }
  }

  async recordFailure(login: string, ip: string): Promise<void> {
    await Promise.all([consumeCounting(this.#byLogin, login), consumeCounting(this.#byIp, ip)]);
  }

  /** A correct password clears that login's failures; the address counter keeps its own course. */
  async recordSuccess(login: string): Promise<void> {
    await this.#byLogin.delete(login);
  }
}

function spent(res: RateLimiterRes | null, points: number): boolean {
  return res !== null && res.consumedPoints >= points;
}

/** `consume` rejects once the points are spent, yet still counts; that rejection is expected here. */
async function consumeCounting(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof Error) throw error;
  }
}
