import type { Collection } from 'mongodb';
import type { RefreshTokenDocument } from './documents.js';
import { isDuplicateKeyError } from './duplicate-key.js';
import type { ServerDialect } from './server-dialect.js';

/** The spent token had already been rotated: someone replayed it. */
export class RefreshTokenReusedError extends Error {
  readonly familyId: string;

  constructor(familyId: string) {
    super('refresh token was already used');
    this.name = 'RefreshTokenReusedError';
    this.familyId = familyId;
  }
}

export class RefreshTokenRepository {
  readonly #tokens: Collection<RefreshTokenDocument>;
  readonly #dialect: ServerDialect;

  constructor(tokens: Collection<RefreshTokenDocument>, dialect: ServerDialect) {
    this.#tokens = tokens;
    this.#dialect = dialect;
  }

  async insert(token: RefreshTokenDocument): Promise<void> {
    await this.#tokens.insertOne(token);
  }

  findByHash(hash: string): Promise<RefreshTokenDocument | null> {
    return this.#tokens.findOne({ _id: hash });
  }

  /**
   * Inserts the successor of `parent`. The unique index on `rotatedFrom` makes this the single
   * atomic step that spends the parent: a second successor fails, whoever tries it.
   */
  async rotate(parent: RefreshTokenDocument, successor: RefreshTokenDocument): Promise<void> {
    try {
      await this.#tokens.insertOne({ ...successor, rotatedFrom: parent._id });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new RefreshTokenReusedError(parent.familyId);
      throw error;
    }
  }

  async revokeFamily(familyId: string, at: Date): Promise<void> {
    await this.#dialect.update(() =>
      this.#tokens.updateMany({ familyId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } }),
    );
  }

  /** Every session of a user ends (account deleted). */
  async revokeAllOf(userId: string, at: Date): Promise<void> {
    await this.#dialect.update(() =>
      this.#tokens.updateMany({ userId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } }),
    );
  }

  /** Expiry is enforced in code (FerretDB has no TTL index); this only reclaims space. */
  async deleteExpired(now: Date): Promise<number> {
    const result = await this.#tokens.deleteMany({ expiresAt: { $lt: now } });
    return result.deletedCount;
  }
}
