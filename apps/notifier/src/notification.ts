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

export const PREVIEW_MAX_CHARS = 100;

/** A notification's id: the same user, conversation and messages always give the same id. */
export function notificationIdOf(notification: Pick<Notification, 'userId' | 'conversationId' | 'messageIds'>): string {
  return createHash('sha256')
    .update(`${notification.userId}\n${notification.conversationId}\n${notification.messageIds.join(',')}`)
    .digest('hex')
    .slice(0, 32);
}

/** The start of the text, cut on a character boundary, with an ellipsis when cut. */
export function previewOf(body: string): string {
  const chars = [...body];
  return chars.length <= PREVIEW_MAX_CHARS ? body : `${chars.slice(0, PREVIEW_MAX_CHARS - 1).join('')}…`;
}
