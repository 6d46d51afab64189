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

  /**
   * A message was deleted: the previews that quote it lose their text. Most deleted messages
   * were never in a notification (their recipients were online), and a read tells so without
   * the update, which on FerretDB is a commit of its own behind the update gate. A notification
   * recorded after this read is no different from one recorded after the update: the notifier
   * never quotes a deleted message.
   */
  async erasePreviewsOf(messageId: string): Promise<void> {
    const quoted = await this.#notifications.findOne(
      { messageIds: messageId },
      { ...this.#dialect.readOptions(1), projection: { _id: 1 } },
    );
    if (!quoted) return;
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
