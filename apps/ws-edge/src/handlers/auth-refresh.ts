import { ChatError } from '@chat/contracts';
import { refusalOf } from '@chat/runtime';
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
    const verdict = await services.accounts.verdict(verified.userId, verified.sessionEpoch);
    if (verdict !== 'live') throw refusalOf(verdict);
    origin.extendUntil(verified.expiresAtMs, verified.sessionEpoch);
    return { expiresAt: new Date(verified.expiresAtMs).toISOString() };
  },
});
