import { defineHandler } from './handler.js';

/**
 * `presence.query {userIds}` (at most 100) → `ack {presence: [{userId, status, lastSeen?}]}`, from
 * Redis, for the asker and the users who share a conversation with them; anyone else is
 * `unknown`, with no `lastSeen`, as an id that does not exist is (presence is not for strangers).
 */
export const presenceQuery = defineHandler({
  type: 'presence.query',
  costly: true,
  handle: async (origin, frame, services) => {
    const asked = [...new Set(frame.userIds)];
    const visible = asked.filter((userId) => userId === origin.userId || services.contacts.shares(origin, userId));
    const known = new Map((await services.presence.statusOf(visible)).map((entry) => [entry.userId, entry]));
    return {
      presence: asked.map((userId) => known.get(userId) ?? { userId, status: 'unknown' as const }),
    };
  },
});
