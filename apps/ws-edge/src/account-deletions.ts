import { accountDeletedChannel, CLOSE_CODES } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { LiveAccounts } from '@chat/storage';
import type { Redis } from 'ioredis';
import type { LocalSessions } from './local-sessions.js';

/**
 * Listens for auth's account-deleted notices: the account is refused on this node from now on,
 * and its open sockets close with 4003. Subscribing takes a connection of its own (a Redis
 * connection in subscriber mode can do nothing else).
 */
export async function followAccountDeletions(options: {
  redis: Redis;
  redisPrefix: string;
  accounts: LiveAccounts;
  sessions: LocalSessions;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const subscriber = options.redis.duplicate();
  const channel = accountDeletedChannel(options.redisPrefix);
  subscriber.on('message', (from: string, userId: string) => {
    if (from !== channel) return;
    options.accounts.deleted(userId);
    const open = [...(options.sessions.of(userId) ?? [])];
    for (const session of open) session.close(CLOSE_CODES.accountDeleted, 'account deleted');
    if (open.length > 0) options.logger.info({ userId, sessions: open.length }, 'account deleted; its sockets closed');
  });
  subscriber.on('error', (error) => options.logger.warn({ err: error }, 'account notices: Redis error'));
  await subscriber.subscribe(channel);
  return {
    async stop() {
      await subscriber.quit().catch(() => undefined);
    },
  };
}
