import { z } from 'zod';

/** Every id in the system (users, conversations, messages) is a UUID string. */
export const id = z.uuid({ error: 'must be a UUID' });

export const LOGIN_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;

/** A login as typed; stored and compared lowercased, so `Alice` and `alice` are the same account. */
export const login = z
  .string()
  .regex(LOGIN_PATTERN, 'must be 3-32 letters, digits, _ . or -')
  .transform((value) => value.toLowerCase());

/** Text shown to people: trimmed, no control characters, not empty. */
export const displayText = (maxChars: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(maxChars, `must be at most ${maxChars} characters`)
    .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters');
