import type { PublicUser } from '@chat/contracts';
import { authRequest } from './auth-http.js';
import { ChatClientError } from './errors.js';
import type { FetchLike } from './transport.js';

/** Ids one `GET /users?ids=` may ask for (auth's limit). */
const LOOKUP_MAX_IDS = 100;

/**
 * Names for the user ids a client sees (`senderId`, `members`), from auth's `GET /users?ids=`,
 * kept for the client's life: each id is asked once (and not again while being asked), an id
 * auth does not know (a deleted account) is remembered as unknown. `search` is
 * `GET /users?login=<prefix>`, which auth limits per user (30 a minute by default).
 */
export class UserDirectory {
  readonly #authUrl: string;
  readonly #fetch: FetchLike | undefined;
  readonly #accessToken: () => Promise<string>;
  readonly #known = new Map<string, PublicUser>();
  readonly #unknown = new Set<string>();
  readonly #asking = new Map<string, Promise<void>>();

  constructor(options: { authUrl: string; fetch: FetchLike | undefined; accessToken: () => Promise<string> }) {
    this.#authUrl = options.authUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch;
    this.#accessToken = options.accessToken;
  }

  /** A profile pushed by the server (`user.changed`): newer than anything looked up. */
  changed(user: PublicUser): void {
    this.#known.set(user.id, user);
    this.#unknown.delete(user.id);
  }

  /** The user, if already looked up. */
  get(userId: string): PublicUser | undefined {
    return this.#known.get(userId);
  }

  /** The users of these ids, in the order asked, unknown ids left out; asks auth only for ids not yet asked. */
  async lookup(userIds: Iterable<string>): Promise<PublicUser[]> {
    const wanted = [...new Set(userIds)];
    const missing = wanted.filter((id) => !this.#known.has(id) && !this.#unknown.has(id) && !this.#asking.has(id));
    for (let i = 0; i < missing.length; i += LOOKUP_MAX_IDS) {
      const batch = missing.slice(i, i + LOOKUP_MAX_IDS);
      const asked = this.#ask(batch).finally(() => {
        for (const id of batch) this.#asking.delete(id);
      });
      for (const id of batch) this.#asking.set(id, asked);
    }
    await Promise.all(wanted.map((id) => this.#asking.get(id)));
    return wanted.map((id) => this.#known.get(id)).filter((user) => user !== undefined);
  }

  /** Users whose login starts with `loginPrefix` (3-32 characters), at most 20; they are remembered too. */
  async search(loginPrefix: string): Promise<PublicUser[]> {
    const answer = await this.#get<{ users: PublicUser[] }>(`/users?login=${encodeURIComponent(loginPrefix)}`);
    for (const user of answer.users) this.#known.set(user.id, user);
    return answer.users;
  }

  async #ask(userIds: string[]): Promise<void> {
    const answer = await this.#get<{ users: PublicUser[] }>(`/users?ids=${userIds.join(',')}`);
    for (const user of answer.users) this.#known.set(user.id, user);
    for (const id of userIds) if (!this.#known.has(id)) this.#unknown.add(id);
  }

  async #get<T>(path: string): Promise<T> {
    if (!this.#fetch) throw new ChatClientError('internal', 'no fetch here: pass one in the options');
    return authRequest<T>(this.#fetch, `${this.#authUrl}${path}`, {
      method: 'GET',
      bearer: await this.#accessToken(),
    });
  }
}
