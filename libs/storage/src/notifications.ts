import type { Collection } from 'mongodb';
import type { NotificationDocument } from './documents.js';
import { isDuplicateKeyError } from './duplicate-key.js';
import { batchOf } from './single-batch.js';

/** Sent notifications: the record that keeps a notification from being sent twice. */
export class NotificationRepository {
  readonly #notifications: Collection<NotificationDocument>;

  constructor(notifications: Collection<NotificationDocument>) {
    this.#notifications = notifications;
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

  forUser(userId: string, limit = 50): Promise<NotificationDocument[]> {
    return this.#notifications.find({ userId }, batchOf(limit)).sort({ createdAt: -1 }).limit(limit).toArray();
  }
}
