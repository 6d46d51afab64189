import { type NotificationsDueEvent, previewOf } from '@chat/contracts';

/** Which of some users have a session on any edge now (the presence store, one Redis round trip). */
export interface OnlineUsers {
  withSessions(userIds: readonly string[]): Promise<Set<string>>;
}

/** A push of a written batch, as far as notifications care: the entry and who gets it. */
interface PushLike {
  entry: {
    type: string;
    message?: { id: string; conversationId: string; seq: number; senderId: string; body?: string };
  };
  members: readonly string[];
}

/** Everyone but its sender, for each new message of the batch (its other entries notify nobody). */
export function recipientsOf(pushes: readonly PushLike[]): string[] {
  const users = new Set<string>();
  for (const { entry, members } of pushes) {
    if (entry.type !== 'message.new' || !entry.message) continue;
    for (const userId of members) if (userId !== entry.message.senderId) users.add(userId);
  }
  return [...users];
}

/**
 * The batch's new messages that have recipients without a session anywhere, each with those
 * recipients and its preview: what the notifier is told (`notifications.due`). Empty when
 * everyone is online.
 */
export function dueNotifications(
  pushes: readonly PushLike[],
  online: ReadonlySet<string>,
): NotificationsDueEvent['messages'] {
  const due: NotificationsDueEvent['messages'] = [];
  for (const { entry, members } of pushes) {
    const message = entry.type === 'message.new' ? entry.message : undefined;
    if (!message) continue;
    const recipients = members.filter((userId) => userId !== message.senderId && !online.has(userId));
    if (recipients.length > 0)
      due.push({
        conversationId: message.conversationId,
        messageId: message.id,
        seq: message.seq,
        recipients,
        ...(message.body === undefined ? {} : { preview: previewOf(message.body) }),
      });
  }
  return due;
}
