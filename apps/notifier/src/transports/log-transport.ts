import type { Logger } from '@chat/logger';
import type { Notification } from '../notification.js';
import type { NotificationTransport } from './transport.js';

/** Without a webhook URL, notifications are written to the log: the system runs out of the box. */
export class LogTransport implements NotificationTransport {
  readonly name = 'log';
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async send(notification: Notification, notificationId: string): Promise<void> {
    this.#logger.info({ notificationId, ...notification, preview: undefined }, 'notification');
  }
}
