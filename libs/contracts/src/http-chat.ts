import { z } from 'zod';
import { HISTORY_MAX_LIMIT } from './chat.js';

/** Query parameters arrive as strings: a non-negative integer and nothing else. */
const integerParam = (max: number) =>
  z
    .string({ error: 'must be given once, as an integer' })
    .regex(/^\d{1,15}$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`));

/** GET /conversations/:id/messages?beforeSeq=&afterSeq=&limit= */
export const historyHttpQuery = z.strictObject({
  beforeSeq: integerParam(Number.MAX_SAFE_INTEGER).optional(),
  afterSeq: integerParam(Number.MAX_SAFE_INTEGER).optional(),
  limit: integerParam(HISTORY_MAX_LIMIT).pipe(z.number().min(1, 'must be at least 1')).optional(),
});
