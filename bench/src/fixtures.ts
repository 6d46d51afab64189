import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicJwkOf } from '@chat/tokens';
import jwt from 'jsonwebtoken';
import { MongoClient } from 'mongodb';
import type { BenchEnvironment } from './bench-environment.js';
import type { PairSpec } from './load/protocol.js';

export interface BenchUser {
  id: string;
  token: string;
}

const REMOTE_PASSWORD = 'bench password not for production';

/**
 * Users and conversations through the public API of a running system the benchmark did not
 * start (`--auth-url`, `--edge-urls`): register, log in, open conversations over REST.
 */
export class RemoteFixtures {
  readonly #authUrl: string;
  readonly #edgeUrl: string;
  readonly #runId: string;

  constructor(authUrl: string, edgeUrl: string, runId: string) {
    this.#authUrl = authUrl;
    this.#edgeUrl = edgeUrl;
    this.#runId = runId;
  }

  async users(count: number, tag: string): Promise<BenchUser[]> {
    const users: BenchUser[] = [];
    for (let i = 0; i < count; i += 1) {
      const login = `${tag}${i}-${this.#runId}`.slice(0, 32).toLowerCase();
      const registered = await this.#post(`${this.#authUrl}/register`, { login, password: REMOTE_PASSWORD });
      const session = await this.#post(`${this.#authUrl}/login`, { login, password: REMOTE_PASSWORD });
      users.push({ id: registered.id, token: session.accessToken });
    }
    return users;
  }

  async conversation(kind: 'direct' | 'group', members: readonly BenchUser[]): Promise<string> {
    const [owner, ...others] = members;
    if (!owner) throw new Error('a conversation needs members');
    const body = kind === 'direct' ? { userId: others[0]?.id } : { title: 'bench', members: others.map((m) => m.id) };
    const answer = await this.#post(`${this.#edgeUrl}/conversations/${kind}`, body, owner.token);
    return answer.conversation.id;
  }

  async #post(url: string, body: unknown, token?: string): Promise<any> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    return response.json();
  }
}

/**
 * Users, tokens and conversations for the load, written straight to the database and signed
 * with the auth service's own key: the benchmark measures messaging, not 10,000 argon2 hashes.
 * Tokens are real ES256 tokens the edges verify through the JWKS like any other.
 */
export class Fixtures {
  readonly #env: BenchEnvironment;
  readonly #mongo: MongoClient;

  constructor(env: BenchEnvironment) {
    this.#env = env;
    this.#mongo = new MongoClient(env.services.mongoUrl, { maxPoolSize: 10 });
  }

  get db() {
    return this.#mongo.db(this.#env.mongoDb);
  }

  async users(count: number, tag: string): Promise<BenchUser[]> {
    // The auth service generated this key on its first start; its thumbprint is the kid.
    const key = readFileSync(join(this.#env.keysDir, 'access-token-es256.pem'), 'utf8');
    const kid = publicJwkOf(createPrivateKey(key)).kid;
    const now = Date.now();
    const users = Array.from({ length: count }, (_, i) => ({
      _id: randomUUID(),
      login: `${tag}-${i}-${this.#env.runId}`.slice(0, 32).toLowerCase(),
      displayName: `${tag} ${i}`,
      passwordHash: '$argon2id$v=19$m=19456,p=1,t=2$bm90LWEtcmVhbC1zYWx0$bm90LWEtcmVhbC1oYXNoLW5vdC1hLXJlYWwtaGFzaA',
      createdAt: new Date(now),
    }));
    for (let i = 0; i < users.length; i += 1_000)
      await this.db.collection('users').insertMany(users.slice(i, i + 1_000) as never[]);
    return users.map((user) => ({
      id: user._id,
      token: jwt.sign({ sub: user._id }, key, {
        algorithm: 'ES256',
        keyid: kid,
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 3_600,
      }),
    }));
  }

  /** A conversation with these members, written as the edge would (conversation + one membership each). */
  async conversation(kind: 'direct' | 'group', members: readonly string[]): Promise<string> {
    const [id] = await this.conversations(kind, [members]);
    return id as string;
  }

  /** Many conversations in two inserts (1,000 one by one cost seconds of setup on FerretDB). */
  async conversations(kind: 'direct' | 'group', memberLists: ReadonlyArray<readonly string[]>): Promise<string[]> {
    const now = new Date();
    const ids = memberLists.map(() => randomUUID());
    const conversations = memberLists.map((members, i) => ({
      _id: ids[i],
      kind,
      ...(kind === 'direct' ? { directKey: [...members].sort().join(':') } : { title: 'bench' }),
      lastSeq: 0,
      createdBy: members[0],
      createdAt: now,
    }));
    const memberships = memberLists.flatMap((members, i) =>
      members.map((userId) => ({
        _id: `${ids[i]}:${userId}`,
        conversationId: ids[i],
        userId,
        joinedAt: now,
        readSeq: 0,
      })),
    );
    for (let i = 0; i < conversations.length; i += 1_000)
      await this.db.collection('conversations').insertMany(conversations.slice(i, i + 1_000) as never[]);
    for (let i = 0; i < memberships.length; i += 1_000)
      await this.db.collection('memberships').insertMany(memberships.slice(i, i + 1_000) as never[]);
    return ids;
  }

  async countMessages(filter: Record<string, unknown> = {}): Promise<number> {
    return this.db.collection('messages').countDocuments(filter);
  }

  async close(): Promise<void> {
    await this.#mongo.close();
  }
}

/**
 * Pairs up people two by two (sender, receiver), each pair with its direct conversation; the
 * sender's node alternates by pair, so both nodes send and both receive.
 */
export async function directPairs(
  people: readonly BenchUser[],
  openDirect: (couples: Array<[BenchUser, BenchUser]>) => Promise<string[]>,
): Promise<PairSpec[]> {
  const couples: Array<[BenchUser, BenchUser]> = [];
  for (let i = 0; i + 1 < people.length; i += 2) couples.push([people[i] as BenchUser, people[i + 1] as BenchUser]);
  const ids = await openDirect(couples);
  return couples.map(([sender, receiver], index) => ({
    senderToken: sender.token,
    receiverToken: receiver.token,
    conversationId: ids[index] ?? '',
    sendNode: index % 2,
  }));
}
