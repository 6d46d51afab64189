import type { z } from 'zod';
import { ChatError } from './errors.js';
import './issue-messages.js';

/**
 * Parses untrusted input against a schema. On failure the message names the first problem's
 * field, without echoing the value (which may be huge, binary or hostile).
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : what;
  throw new ChatError('bad_request', `invalid ${field}: ${issue?.message ?? 'invalid input'}`);
}
