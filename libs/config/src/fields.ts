import { z } from 'zod';

/** Reusable environment field types; every one coerces from the string the environment holds. */

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const flag = (fallback: boolean) => z.stringbool().default(fallback);

export const text = (fallback: string) => z.string().min(1).default(fallback);

/** A key, token or password given by the operator; long enough not to be guessed. */
export const optionalSecret = () => z.string().min(16, 'must be at least 16 characters').optional();

export const url = (fallback: string, protocols: string[]) =>
  z
    .string()
    .default(fallback)
    .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
      message: `must be a URL with protocol ${protocols.join(' or ')}`,
    });

export const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .optional()
    .refine((value) => value === undefined || (URL.canParse(value) && protocols.includes(new URL(value).protocol)), {
      message: `must be a URL with protocol ${protocols.join(' or ')}`,
    });

/** A PEM block given inline; `\n` escapes are accepted because many secret stores flatten newlines. */
export const optionalPem = (label: string) =>
  z
    .string()
    .optional()
    .transform((value) => value?.replaceAll('\\n', '\n'))
    .refine((value) => value === undefined || value.includes(`-----BEGIN ${label}`), {
      message: `must be a PEM block (-----BEGIN ${label} ...)`,
    });

/** A comma-separated list of positive integers, e.g. the retry ladder "1000,5000,30000". */
export const intList = (fallback: number[]) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const items = value.split(',').map((part) => Number(part.trim()));
      if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n <= 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of positive integers' });
        return z.NEVER;
      }
      return items;
    });

/** A comma-separated list of strings; empty means none. */
export const stringList = () =>
  z
    .string()
    .optional()
    .transform((value) =>
      value === undefined
        ? []
        : value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean),
    );

export const logLevel = () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** A comma-separated list of browser origins (`https://chat.example`, no path) or `*`; empty means none. */
export const originList = () =>
  stringList().refine(
    (origins) =>
      origins.every((origin) => origin === '*' || (URL.canParse(origin) && new URL(origin).origin === origin)),
    { message: 'must be `*` or a comma-separated list of origins (scheme://host[:port], no path)' },
  );
