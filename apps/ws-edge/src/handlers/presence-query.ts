import { defineHandler } from './handler.js';

/** `presence.query {userIds}` (at most 100) → `ack {presence: [{userId, status, lastSeen?}]}`, from Redis. */
export const presenceQuery = defineHandler({
  type: 'presence.query',
  handle: async (_origin, frame, services) => ({
    presence: await services.presence.statusOf([...new Set(frame.userIds)]),
  }),
});
