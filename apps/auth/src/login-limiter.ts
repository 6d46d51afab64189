import { RateLimitedError } from '@chat/contracts';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  /** Failures allowed per (login, client address) within the window: the strict bound on guessing. */
  perLoginAddress: number;
  /** Failures allowed per login across all addresses; much higher, so an attacker elsewhere cannot lock a user out. */
  perLogin: number;
  /** Failures allowed per client address within the window; higher, so one office is not locked out. */
  perIp: number;
  windowS: number;
}

/**
 * Counts login attempts in Redis per (login, address), per login and per address. A point is taken
 * atomically before the password is verified, so a parallel burst cannot pass the bound between check
 * and record; a correct password gives its own point back (and only that one).
 */
export class LoginLimiter {
  readonly #byLoginAddress: RateLimiterRedis;
  readonly #byLogin: RateLimiterRedis;
  readonly #byIp: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: LoginLimits) {
    const counter = (name: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${keyPrefix}:login-fail:${name}`,
        points,
        duration: limits.windowS,
      });
    this.#byLoginAddress = counter('login-ip', limits.perLoginAddress);
    this.#byLogin = counter('login', limits.perLogin);
    this.#byIp = counter('ip', limits.perIp);
  }

  /**
   * Takes one attempt from every counter, strictest first; throws `rate_limited` (with when to retry)
   * if one is spent, giving back what it took from the others, so attempts refused at one address do
   * not spend the login's budget across addresses.
   */
  async take(login: string, ip: string): Promise<void> {
    const taken: Array<[RateLimiterRedis, string]> = [];
    for (const [limiter, key] of [
      [this.#byLoginAddress, `${ip} ${login}`],
      [this.#byIp, ip],
      [this.#byLogin, login],
    ] as Array<[RateLimiterRedis, string]>) {
      try {
        await limiter.consume(key);
        taken.push([limiter, key]);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        await limiter.reward(key, 1);
        await Promise.all(taken.map(([done, doneKey]) => done.reward(doneKey, 1)));
        throw new RateLimitedError('too many failed logins, try again later', Math.ceil(error.msBeforeNext / 1000));
      }
    }
  }

  /** A correct password was given: the attempt was no failure. */
  async refund(login: string, ip: string): Promise<void> {
    await Promise.all([
      this.#byLoginAddress.reward(`${ip} ${login}`, 1),
      this.#byIp.reward(ip, 1),
      this.#byLogin.reward(login, 1),
    ]);
  }
}
