import { ChatError, LOGIN_PATTERN, type PublicUser } from '@chat/contracts';
import type { Collection } from 'mongodb';
import type { UserDocument } from './documents.js';
import { isDuplicateKeyError } from './duplicate-key.js';
import type { ServerDialect } from './server-dialect.js';

export function toPublicUser(user: UserDocument): PublicUser {
  return { id: user._id, login: user.login, displayName: user.displayName };
}

export class UserRepository {
  readonly #users: Collection<UserDocument>;
  readonly #dialect: ServerDialect;

  constructor(users: Collection<UserDocument>, dialect: ServerDialect) {
    this.#users = users;
    this.#dialect = dialect;
  }

  /** Inserts a new user; a taken login (any case) is a `conflict`, decided by the unique index. */
  async create(user: UserDocument): Promise<void> {
    try {
      await this.#users.insertOne(user);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ChatError('conflict', 'login is already taken');
      throw error;
    }
  }

  /**
   * A new password, and a new session epoch of at least `atLeast` (`$max`, so it never goes
   * back and two changes at once cannot lower it; an increment is lost under concurrency on
   * FerretDB): every access token issued before is refused from now on. Answers the epoch
   * stored (null if there is no such account); the new session must carry that one.
   */
  async changePassword(id: string, passwordHash: string, atLeast: number): Promise<number | null> {
    await this.#dialect.update(() =>
      this.#users.updateOne({ _id: id }, { $set: { passwordHash }, $max: { sessionEpoch: atLeast } }),
    );
    const user = await this.findById(id);
    return user ? sessionEpochOf(user) : null;
  }

  /** The same password, stored with stronger parameters (a rehash at login): sessions go on. */
  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.#dialect.update(() => this.#users.updateOne({ _id: id }, { $set: { passwordHash } }));
  }

  /** The user's new display name; null if there is no such account. */
  async updateDisplayName(id: string, displayName: string): Promise<UserDocument | null> {
    await this.#dialect.update(() => this.#users.updateOne({ _id: id }, { $set: { displayName } }));
    return this.findById(id);
  }

  /** Removes the account; false if there was none. */
  async delete(id: string): Promise<boolean> {
    return (await this.#users.deleteOne({ _id: id })).deletedCount === 1;
  }

  /**
   * A login that could never have been registered is not looked up at all: callers accept any
   * string here (so a wrong login fails like a wrong password), and FerretDB's PostgreSQL backend
   * refuses some strings outright (a NUL character), which would surface as a server error.
   */
  async findByLogin(login: string): Promise<UserDocument | null> {
    if (!LOGIN_PATTERN.test(login)) return null;
    return this.#users.findOne({ login });
  }

  findById(id: string): Promise<UserDocument | null> {
    return this.#users.findOne({ _id: id });
  }

  /** The accounts of `ids` that exist (unknown ids are left out), through the dialect's `findIn`. */
  findManyByIds(ids: readonly string[]): Promise<UserDocument[]> {
    return this.#dialect.findIn(this.#users, '_id', ids);
  }

  /** An id of `ids` with no account, or undefined when every one exists; stops at the first. */
  firstMissingId(ids: readonly string[]): Promise<string | undefined> {
    return this.#dialect.firstAbsent(this.#users, '_id', ids);
  }

  /**
   * Users whose login starts with `prefix` (already lowercased and pattern-checked). A range on
   * the unique index instead of a regex: no pattern from the client ever reaches the server.
   */
  searchByLoginPrefix(prefix: string, limit: number): Promise<UserDocument[]> {
    return this.#users
      .find({ login: { $gte: prefix, $lt: `${prefix}\uffff` } }, this.#dialect.readOptions(limit))
      .sort({ login: 1 })
      .limit(limit)
      .toArray();
  }
}

/** The epoch an account's sessions must be in (0 for accounts that never changed password). */
export function sessionEpochOf(user: Pick<UserDocument, 'sessionEpoch'>): number {
  return user.sessionEpoch ?? 0;
}
