import { HEADERS } from '@chat/broker';
import type { ConsumeMessage } from 'amqplib';

/** What an operator needs to know about one dead message. */
export interface DeadLetterSummary {
  messageId: string;
  conversationId: string;
  reason: string;
  diedAt: string;
  from: string;
}

/**
 * Why a message died: our own header when the persister dead-lettered it; otherwise the
 * broker's `x-death` (it dead-letters a message redelivered past the shard's delivery limit).
 */
export function summarize(message: ConsumeMessage): DeadLetterSummary {
  const headers = message.properties.headers ?? {};
  const death = message.properties.headers?.['x-death']?.[0];
  const reason =
    stringOf(headers[HEADERS.deadReason]) ??
    (death
      ? `broker dead-lettered: ${stringOf(death.reason) ?? 'unknown'} from ${stringOf(death.queue) ?? '?'}`
      : 'unknown');
  return {
    messageId: message.properties.messageId ?? '(none)',
    conversationId: stringOf(headers[HEADERS.conversationId]) ?? '(none)',
    reason,
    diedAt: stringOf(headers[HEADERS.deadAt]) ?? (death ? new Date(death.time.value * 1000).toISOString() : '?'),
    from: stringOf(headers[HEADERS.deadFrom]) ?? stringOf(death?.queue) ?? '?',
  };
}

/** The headers a replayed message starts over with: its attempt count and death marks removed. */
export function replayHeaders(message: ConsumeMessage): Record<string, unknown> {
  const replayed: Record<string, unknown> = { ...message.properties.headers };
  for (const name of [HEADERS.attempts, HEADERS.lastError, HEADERS.deadReason, HEADERS.deadAt, HEADERS.deadFrom]) {
    delete replayed[name];
  }
  for (const name of Object.keys(replayed)) if (name.startsWith('x-')) delete replayed[name];
  replayed[HEADERS.replayedAt] = new Date().toISOString();
  return replayed;
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
