import { createHash } from 'node:crypto';

/** What a user is told about messages they missed: the webhook body, field for field. */
export interface Notification {
  userId: string;
  conversationId: string;
  messageIds: string[];
  count: number;
  preview: string;
  createdAt: string;
}

/** A notification's id: the same user, conversation and messages always give the same id. */
export function notificationIdOf(notification: Pick<Notification, 'userId' | 'conversationId' | 'messageIds'>): string {
  return createHash('sha256')
    .update(`${notification.userId}\n${notification.conversationId}\n${notification.messageIds.join(',')}`)
    .digest('hex')
    .slice(0, 32);
}
