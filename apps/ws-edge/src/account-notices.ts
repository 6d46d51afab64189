import {
  accountDeletedChannel,
  CLOSE_CODES,
  publicUserAnswer,
  sessionsEndedChannel,
  sessionsEndedNotice,
  type UserChangedFrame,
  userChangedChannel,
} from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { LiveAccounts } from '@chat/storage';
import type { Redis } from 'ioredis';
import type { ContactIndex } from './contact-index.js';
import type { LocalSessions } from './local-sessions.js';

/**
 * Listens for auth's account notices. A deleted account is refused on this node from now on and
 * its open sockets close with 4003; when a password change ends an account's sessions, the
 * sockets opened in an older session epoch close with 4004; a new display name is pushed as
 * `user.changed` to the user's sockets and their contacts'. Subscribing takes a connection of
 * its own (a Redis connection in subscriber mode can do nothing else).
 */
export async function followAccountNotices(options: {
  redis: Redis;
  redisPrefix: string;
  accounts: LiveAccounts;
  sessions: LocalSessions;
  contacts: ContactIndex;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { accounts, sessions, contacts, logger } = options;
  const subscriber = options.redis.duplicate();
  const deletedChannel = accountDeletedChannel(options.redisPrefix);
  const endedChannel = sessionsEndedChannel(options.redisPrefix);
  const changedChannel = userChangedChannel(options.redisPrefix);
  const onDeleted = (userId: string) => {
    accounts.deleted(userId);
    const open = [...(sessions.of(userId) ?? [])];
    for (const session of open) session.close(CLOSE_CODES.accountDeleted, 'account deleted');
    if (open.length > 0) logger.info({ userId, sessions: open.length }, 'account deleted; its sockets closed');
  };
  /** A JSON notice checked by its schema; one that does not parse is logged and ignored. */
  const parsed = <T>(schema: { parse(value: unknown): T }, message: string, what: string): T | undefined => {
    try {
      return schema.parse(JSON.parse(message));
    } catch (error) {
      logger.warn({ err: error }, `account notices: a ${what} notice that does not parse; ignored`);
      return undefined;
    }
  };
  const onSessionsEnded = (message: string) => {
    const notice = parsed(sessionsEndedNotice, message, 'sessions-ended');
    if (!notice) return;
    accounts.sessionsEnded(notice.userId, notice.sessionEpoch);
    const ended = [...(sessions.of(notice.userId) ?? [])].filter(
      (session) => session.sessionEpoch < notice.sessionEpoch,
    );
    for (const session of ended) session.close(CLOSE_CODES.sessionEnded, 'session ended');
    if (ended.length > 0)
      logger.info({ userId: notice.userId, sessions: ended.length }, 'sessions ended; sockets closed');
  };
  const onUserChanged = (message: string) => {
    const user = parsed(publicUserAnswer, message, 'user-changed');
    if (!user) return;
    const frame: UserChangedFrame = { type: 'user.changed', user };
    const text = JSON.stringify(frame);
    const userId = frame.user.id;
    for (const session of new Set([...(sessions.of(userId) ?? []), ...(contacts.watchersOf(userId) ?? [])])) {
      session.push(text, frame.type);
    }
  };
  subscriber.on('message', (from: string, message: string) => {
    if (from === deletedChannel) onDeleted(message);
    else if (from === endedChannel) onSessionsEnded(message);
    else if (from === changedChannel) onUserChanged(message);
  });
  subscriber.on('error', (error) => logger.warn({ err: error }, 'account notices: Redis error'));
  // ioredis subscribes again after a reconnect; notices sent meanwhile are gone, so what this
  // node believes of live accounts is asked again instead of trusted to its expiry.
  let connections = 0;
  subscriber.on('ready', () => {
    if (connections++ > 0) {
      accounts.forgetLive();
      logger.info('account notices: subscribed again; account standings will be read again');
    }
  });
  await subscriber.subscribe(deletedChannel, endedChannel, changedChannel);
  return {
    async stop() {
      await subscriber.quit().catch(() => undefined);
    },
  };
}
