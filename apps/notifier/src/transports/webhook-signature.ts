import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-chat-signature';
export const TIMESTAMP_HEADER = 'x-chat-timestamp';
export const NOTIFICATION_ID_HEADER = 'x-chat-notification-id';

/** One attempt of one notification, as it is signed. */
export interface SignedWebhookParts {
  /** Unix seconds at which this attempt was signed. */
  timestamp: number;
  /** The notification id: the same for every attempt of one notification (hex, never a `.`). */
  id: string;
  /** The raw request body, exactly as sent. */
  body: string;
  secret: string;
}

/**
 * `v1=<hex HMAC-SHA256(secret, "<timestamp>.<id>.<body>")>`. The timestamp lets a receiver refuse
 * a captured request replayed later; the id is signed too, so a captured body cannot be resent
 * under a fresh id to get past the receiver's duplicate check. README.md shows the verification.
 */
export function webhookSignature({ timestamp, id, body, secret }: SignedWebhookParts): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${id}.${body}`).digest('hex')}`;
}
