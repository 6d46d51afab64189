import { ChatError } from '@chat/contracts';
import { defineHandler } from './handler.js';

/**
 * `auth.refresh {accessToken}` → `ack {expiresAt}`: a fresh token for the same user keeps the
 * connection open past the old token's expiry (otherwise it closes with 4001).
 */
export const authRefresh = defineHandler({
  type: 'auth.refresh',
  handle: async (origin, frame, services) => {
    const verified = await services.tokens.verify(frame.accessToken);
    if (verified.userId !== origin.userId) throw new ChatError('unauthorized', 'the token is for another user');
    origin.extendUntil(verified.expiresAtMs);
    return { expiresAt: new Date(verified.expiresAtMs).toISOString() };
  },
});
