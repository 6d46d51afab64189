import { MongoServerError } from 'mongodb';

const DUPLICATE_KEY = 11000;

/** MongoDB and FerretDB both report a unique-index conflict as code 11000 (FerretDB without naming the index). */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}
