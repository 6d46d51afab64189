import { createHmac } from 'node:crypto';
import type { Notification } from '../notification.js';
import type { NotificationTransport } from './transport.js';

export const SIGNATURE_HEADER = 'x-chat-signature';
export const NOTIFICATION_ID_HEADER = 'x-chat-notification-id';

/** `sha256=<hex HMAC-SHA256 of the raw body>`: what a receiver recomputes to trust the request. */
export function signatureOf(rawBody: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** An HTTP error or timeout: the job fails this attempt and BullMQ retries it with backoff. */
export class WebhookError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookError';
  }
}

/**
 * POSTs each notification as JSON, signed with HMAC-SHA256 of the raw body. Any answer but 2xx,
 * a network error or a timeout fails the attempt. The notification id header lets a receiver
 * drop the rare repeat (a notifier killed between the 2xx and recording it).
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
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signatureOf(body, this.#secret),
          [NOTIFICATION_ID_HEADER]: notificationId,
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
