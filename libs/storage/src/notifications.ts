import type { Collection } from 'mongodb';
import type { NotificationDocument } from './documents.js';
import { isDuplicateKeyError } from './duplicate-key.js';
import type { ServerDialect } from './server-dialect.js';

/** Sent notifications: the record that keeps a notification from being sent twice. */
export class NotificationRepository {
  readonly #notifications: Collection<NotificationDocument>;
  readonly #dialect: ServerDialect;

  constructor(notifications: Collection<NotificationDocument>, dialect: ServerDialect) {
    this.#notifications = notifications;
    this.#dialect = dialect;
  }

  async wasSent(id: string): Promise<boolean> {
    return (await this.#notifications.countDocuments({ _id: id }, { limit: 1 })) > 0;
  }

  /** Records a sent notification; recording it twice (a retried job) is not an error. */
  async record(notification: NotificationDocument): Promise<void> {
    try {
      await this.#notifications.insertOne(notification);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** A message was deleted: the previews that quote it lose their text. */
  async erasePreviewsOf(messageId: string): Promise<void> {
    await this.#dialect.update(() =>
      this.#notifications.updateMany({ messageIds: messageId }, { $set: { preview: '' } }),
    );
  }

  forUser(userId: string, limit = 50): Promise<NotificationDocument[]> {
    return this.#notifications
      .find({ userId }, this.#dialect.readOptions(limit))
      .sort({ createdAt: -1 })
      .limit(limit)
      .toArray();
  }
}
