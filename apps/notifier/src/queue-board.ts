import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { QueueBoardConfig } from '@chat/config';
import { requireAllowedHost, requireOperatorCredentials } from '@chat/runtime';
import type { Queue } from 'bullmq';
import { Router } from 'express';

export const QUEUE_BOARD_PATH = '/queues';
const REALM = 'chat notifier queue board';

/**
 * Bull Board on the notifier's port, behind a Host check and the configured credentials, in
 * that order: a rebinding page is refused before it can even probe for a login.
 */
export function queueBoardRouter(queues: readonly Queue[], config: QueueBoardConfig): Router {
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: board });
  const router = Router();
  router.use(requireAllowedHost(config.allowedHosts, 'the queue board'));
  router.use(requireOperatorCredentials(config.credentials, REALM));
  router.use(board.getRouter());
  return router;
}
