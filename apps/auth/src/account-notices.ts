import {
  accountDeletedChannel,
  type PublicUser,
  type SessionsEndedNotice,
  sessionsEndedChannel,
  userChangedChannel,
} from '@chat/contracts';
import type { Redis } from 'ioredis';

/** What auth tells the edges about accounts, so they act at once rather than at a cache's expiry. */
export interface AccountNotices {
  accountDeleted(userId: string): Promise<void>;
  sessionsEnded(notice: SessionsEndedNotice): Promise<void>;
  userChanged(user: PublicUser): Promise<void>;
}

/** The notices as Redis pub/sub messages, on the channels `@chat/contracts` names. */
export function redisAccountNotices(redis: Redis, redisPrefix: string): AccountNotices {
  return {
    async accountDeleted(userId) {
      await redis.publish(accountDeletedChannel(redisPrefix), userId);
    },
    async sessionsEnded(notice) {
      await redis.publish(sessionsEndedChannel(redisPrefix), JSON.stringify(notice));
    },
    async userChanged(user) {
      await redis.publish(userChangedChannel(redisPrefix), JSON.stringify(user));
    },
  };
}
