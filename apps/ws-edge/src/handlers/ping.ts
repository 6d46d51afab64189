import { defineHandler } from './handler.js';

/** `ping` → `ack {now}`: an application-level round trip for clients that cannot see WebSocket pings. */
export const ping = defineHandler({
  type: 'ping',
  handle: async () => ({ now: new Date().toISOString() }),
});
