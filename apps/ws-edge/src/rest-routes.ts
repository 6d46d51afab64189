import { directTarget, groupSpec, historyHttpQuery, id, parseInput } from '@chat/contracts';
import { type AccessTokenCheck, authenticatedUserId, requireBearer } from '@chat/runtime';
import { Router } from 'express';
import type { ConversationService } from './conversation-service.js';

/** The REST side of an edge node, Bearer-authenticated, same rules as the WebSocket operations. */
export function conversationRoutes(deps: { conversations: ConversationService; tokens: AccessTokenCheck }): Router {
  const router = Router();
  router.use('/conversations', requireBearer(deps.tokens));

  router.get('/conversations', async (_req, res) => {
    res.json({ conversations: await deps.conversations.list(authenticatedUserId(res)) });
  });

  router.post('/conversations/direct', async (req, res) => {
    const target = parseInput(directTarget, req.body, 'body');
    res.json({ conversation: await deps.conversations.openDirect(authenticatedUserId(res), target) });
  });

  router.post('/conversations/group', async (req, res) => {
    const spec = parseInput(groupSpec, req.body, 'body');
    res.status(201).json({ conversation: await deps.conversations.createGroup(authenticatedUserId(res), spec) });
  });

  router.get('/conversations/:conversationId/messages', async (req, res) => {
    const conversationId = parseInput(id, req.params.conversationId, 'conversationId');
    const query = parseInput(historyHttpQuery, req.query, 'query');
    const messages = await deps.conversations.history(authenticatedUserId(res), { conversationId, ...query });
    res.json({ messages });
  });

  return router;
}
