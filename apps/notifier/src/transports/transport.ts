import type { Notification } from '../notification.js';

/** Where notifications go. `send` resolves when delivered; it throws to have the job retried. */
export interface NotificationTransport {
  readonly name: 'webhook' | 'log';
  send(notification: Notification, notificationId: string): Promise<void>;
}
