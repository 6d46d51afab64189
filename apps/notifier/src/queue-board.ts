import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import type { QueueBoardConfig } from '@chat/config';
import { ChatError } from '@chat/contracts';
import { requireAllowedHost, requireOperatorCredentials } from '@chat/runtime';
import type { Queue } from 'bullmq';
import { type RequestHandler, Router } from 'express';
import { TraceFreeBullMQAdapter } from './trace-free-bullmq-adapter.js';

export const QUEUE_BOARD_PATH = '/queues';
const REALM = 'chat notifier queue board';

/**
 * Bull Board on the notifier's port, behind a Host check and the configured credentials, in
 * that order: a rebinding page is refused before it can even probe for a login. Read-only unless
 * configured otherwise; no stack traces.
 */
export function queueBoardRouter(queues: readonly Queue[], config: QueueBoardConfig): Router {
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    // Read-only mode hides the board's buttons; `readsOnly` below is what refuses the requests.
    queues: queues.map((queue) => new TraceFreeBullMQAdapter(queue, { readOnlyMode: !config.readWrite })),
    serverAdapter: board,
  });
  const router = Router();
  router.use(requireAllowedHost(config.allowedHosts, 'the queue board'));
  router.use(requireOperatorCredentials(config.credentials, REALM));
  if (!config.readWrite) router.use(readsOnly);
  router.use(board.getRouter());
  return router;
}

/**
 * Lets only GET and HEAD through. Bull Board's read-only mode refuses each queue's writes, but
 * answers 200 to "pause all" (doing nothing), and a newer version may add routes; one rule at
 * the door holds for all of them, as every write Bull Board has is a PUT, POST or PATCH.
 */
const readsOnly: RequestHandler = (req, _res, next) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ChatError('forbidden', 'the queue board is read-only (NOTIFIER_BOARD_READ_WRITE is not set)');
  }
  next();
};
