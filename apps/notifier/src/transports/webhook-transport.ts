import type { Notification } from '../notification.js';
import type { NotificationTransport } from './transport.js';
import { NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js';

/** An HTTP error or timeout: the job fails this attempt and BullMQ retries it with backoff. */
export class WebhookError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookError';
  }
}

/**
 * POSTs each notification as JSON, signed with HMAC-SHA256 over the time of the attempt, the
 * notification id and the raw body (`webhookSignature`). Any answer but 2xx, a network error or a
 * timeout fails the attempt. Every attempt is signed afresh, so a retry that comes minutes later
 * still passes the receiver's freshness check; the id stays, and lets a receiver drop the rare
 * repeat (a notifier killed between the 2xx and recording it).
 */
export class WebhookTransport implements NotificationTransport {
  readonly name = 'webhook';
  readonly #url: string;
  readonly #secret: string;
  readonly #timeoutMs: number;

  constructor(options: { url: string; secret: string; timeoutMs: number }) {
    this.#url = options.url;
    this.#secret = options.secret;
    this.#timeoutMs = options.timeoutMs;
  }

  async send(notification: Notification, notificationId: string): Promise<void> {
    const body = JSON.stringify(notification);
    const timestamp = Math.floor(Date.now() / 1000);
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [NOTIFICATION_ID_HEADER]: notificationId,
          [SIGNATURE_HEADER]: webhookSignature({ timestamp, id: notificationId, body, secret: this.#secret }),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new WebhookError(`webhook unreachable: ${(error as Error).message}`, { cause: error });
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      throw new WebhookError(`webhook answered ${response.status}`);
    }
  }
}
