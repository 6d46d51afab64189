import { z } from 'zod';

/** Every id in the system (users, conversations, messages) is a UUID string. */
export const id = z.uuid();

export const LOGIN_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;

/** A login as typed; stored and compared lowercased, so `Alice` and `alice` are the same account. */
export const login = z
  .string()
  .regex(LOGIN_PATTERN, 'must be 3-32 letters, digits, _ . or -')
  .transform((value) => value.toLowerCase());

/**
 * A zero-width joiner between two pictographs builds one emoji (👩‍💻); anywhere else it is one
 * of the invisible format characters below.
 */
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}\p{M}*)\u200d(?=\p{Extended_Pictographic})/gu;
const FORMAT_CHARACTER = /\p{Cf}/u;

/** Whether `value` has an invisible format character (bidi overrides, zero-width spaces, …). */
export function hasFormatCharacter(value: string): boolean {
  return FORMAT_CHARACTER.test(value.replace(EMOJI_JOINER, ''));
}

/**
 * Text shown to people as a name (display names, group titles): well-formed Unicode (a lone
 * surrogate would be stored as U+FFFD, unlike what was acked), trimmed, not empty, and without
 * control or format characters, which can reorder or hide what a reader sees.
 */
export const displayText = (maxChars: number) =>
  z
    .string()
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
    .trim()
    .min(1, 'must not be empty')
    .max(maxChars, `must be at most ${maxChars} characters`)
    .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters')
    .refine(
      (value) => !hasFormatCharacter(value),
      'must not contain invisible format characters (bidirectional controls, zero-width characters)',
    );
