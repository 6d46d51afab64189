import { z } from 'zod';

type Issue = z.core.$ZodRawIssue;

const ARTICLE: Record<string, string> = {
  int: 'an integer',
  object: 'an object',
  array: 'an array',
  undefined: 'absent',
};

function noun(expected: string): string {
  return ARTICLE[expected] ?? `a ${expected}`;
}

function sizeOf(origin: string, bound: number | bigint): string {
  if (origin === 'string') return `${bound} character${bound === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') return `${bound} item${bound === 1 ? '' : 's'}`;
  return String(bound);
}

/**
 * What a client developer reads when a field is wrong, for every check that names no message
 * of its own: "is required", "must be an integer", "must be at least 0", never zod's
 * "Too small: expected number to be >=0" (and never the value itself, which may be hostile).
 */
export function issueMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${noun(issue.expected)}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      return `must be at least ${sizeOf(issue.origin, issue.minimum)}`;
    case 'too_big':
      return `must be at most ${sizeOf(issue.origin, issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'uuid' ? 'must be a UUID' : `must be a valid ${issue.format}`;
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((key) => JSON.stringify(key.slice(0, 64))).join(', ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
}

// Every schema of the contract (and of the configuration) speaks this way unless it says otherwise.
z.config({ customError: issueMessage });
