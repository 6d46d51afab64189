import { createPublicKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { MongoClient } from 'mongodb';
import { type AppProcess, startApp } from '../support/app-process.js';
import { forgeries, signValid } from '../support/forged-tokens.js';
import { get, post, request } from '../support/http.js';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';
import { PASSWORD, registerUser, uniqueLogin } from '../support/users.js';
import { eventually } from '../support/wait.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PER_LOGIN_ADDRESS_LIMIT = 10;
const PER_LOGIN_LIMIT = 30;
const PER_IP_LIMIT = 25;
const SEARCH_LIMIT = 8;
const REGISTER_LIMIT = 4;

describe('auth service', function () {
  this.timeout(60_000);
  let auth: AppProcess;
  let mongo: MongoClient;
  let ipCounter = 0;
  /** A client address of its own, so tests do not spend each other's per-IP failure budget. */
  const freshIp = () => ({ 'x-forwarded-for': `10.0.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}` });

  before(async () => {
    auth = await startApp('auth', {
      LOG_LEVEL: 'info',
      TRUST_PROXY: 'true',
      LOGIN_MAX_FAILURES_PER_LOGIN_ADDRESS: String(PER_LOGIN_ADDRESS_LIMIT),
      LOGIN_MAX_FAILURES_PER_LOGIN: String(PER_LOGIN_LIMIT),
      LOGIN_MAX_FAILURES_PER_IP: String(PER_IP_LIMIT),
      USER_SEARCH_MAX_PER_USER: String(SEARCH_LIMIT),
    });
    mongo = await new MongoClient(MONGO_URL).connect();
  });

  after(async () => {
    await mongo?.close();
    if (auth) expect(await auth.stop()).to.equal(0);
  });

  describe('POST /register', () => {
    it('creates a user and answers with its public fields', async () => {
      const login = uniqueLogin('Reg');
      const res = await post(`${auth.url}/register`, { login, password: PASSWORD, displayName: 'Ada L.' });
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.equal({ id: res.body.id, login: login.toLowerCase(), displayName: 'Ada L.' });
      expect(res.body.id).to.match(UUID);
    });

    it('stores an argon2id hash with the configured cost, never the password', async () => {
      const login = uniqueLogin();
      const res = await post(`${auth.url}/register`, { login, password: PASSWORD });
      const stored = await mongo.db(MONGO_DB).collection('users').findOne({ _id: res.body.id });
      expect(stored?.passwordHash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect(JSON.stringify(stored)).not.to.include(PASSWORD);
    });

    it('defaults the display name to the login', async () => {
      const login = uniqueLogin();
      const res = await post(`${auth.url}/register`, { login, password: PASSWORD });
      expect(res.body.displayName).to.equal(login.toLowerCase());
    });

    it('refuses a login taken in any letter case with 409 conflict', async () => {
      const login = uniqueLogin('case');
      expect((await post(`${auth.url}/register`, { login, password: PASSWORD })).status).to.equal(201);
      const again = await post(`${auth.url}/register`, { login: login.toUpperCase(), password: PASSWORD });
      expect(again.status).to.equal(409);
      expect(again.body).to.deep.equal({ error: { code: 'conflict', message: 'login is already taken' } });
    });

    it('lets exactly one of 12 concurrent registrations of one login succeed', async () => {
      const login = uniqueLogin('race');
      const results = await Promise.all(
        Array.from({ length: 12 }, () => post(`${auth.url}/register`, { login, password: PASSWORD })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 409)).to.have.length(11);
      expect(await mongo.db(MONGO_DB).collection('users').countDocuments({ login: login.toLowerCase() })).to.equal(1);
    });

    const invalidBodies: Array<[string, unknown]> = [
      ['a missing password', { login: 'validlogin' }],
      ['a short password', { login: 'validlogin', password: 'short' }],
      ['a password over 256 characters', { login: 'validlogin', password: 'x'.repeat(200) + 'y'.repeat(57) }],
      ['a password equal to the login', { login: 'samesame', password: 'SameSame' }],
      ['a password of one repeated character', { login: 'validlogin', password: 'aaaaaaaaaa' }],
      ['a login of 2 characters', { login: 'ab', password: PASSWORD }],
      ['a login of 33 characters', { login: 'a'.repeat(33), password: PASSWORD }],
      ['a login with a space', { login: 'bad login', password: PASSWORD }],
      ['a login with a dollar sign', { login: '$where', password: PASSWORD }],
      ['a numeric login', { login: 12345, password: PASSWORD }],
      ['an operator object as login', { login: { $ne: null }, password: PASSWORD }],
      ['an operator object as password', { login: 'validlogin', password: { $gt: '' } }],
      ['an array as login', { login: ['a', 'b', 'c'], password: PASSWORD }],
      ['a display name with control characters', { login: 'validlogin', password: PASSWORD, displayName: 'a\u0000b' }],
      ['a JSON array body', [1, 2, 3]],
      ['a JSON string body', 'hello'],
    ];
    for (const [what, body] of invalidBodies) {
      it(`answers ${what} with 400 bad_request`, async () => {
        const res = await post(`${auth.url}/register`, body);
        expect(res.status, res.text).to.equal(400);
        expect(res.body.error.code).to.equal('bad_request');
        expect(res.body.error.message).to.be.a('string').and.not.be.empty;
      });
    }
  });

  describe('POST /login', () => {
    it('returns a Bearer pair with an ES256 access token for the user', async () => {
      const login = uniqueLogin();
      const registered = await post(`${auth.url}/register`, { login, password: PASSWORD });
      const res = await post(`${auth.url}/login`, { login: login.toUpperCase(), password: PASSWORD });
      expect(res.status).to.equal(200);
      expect(res.body).to.have.keys('accessToken', 'refreshToken', 'tokenType', 'expiresIn');
      expect(res.body.tokenType).to.equal('Bearer');
      expect(res.body.expiresIn).to.equal(900);
      const decoded = jwt.decode(res.body.accessToken, { complete: true });
      expect(decoded?.header.alg).to.equal('ES256');
      expect(decoded?.header.kid).to.be.a('string').and.not.be.empty;
      const claims = decoded?.payload as jwt.JwtPayload;
      expect(claims.sub).to.equal(registered.body.id);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).to.equal(900);
    });

    it('issues tokens that verify against the published JWKS, pinned to ES256', async () => {
      const user = await registerUser(auth.url);
      const jwks = await get(`${auth.url}/.well-known/jwks.json`);
      expect(jwks.status).to.equal(200);
      const kid = jwt.decode(user.accessToken, { complete: true })?.header.kid;
      const jwk = jwks.body.keys.find((k: { kid: string }) => k.kid === kid);
      expect(jwk).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(jwk).not.to.have.property('d');
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      const claims = jwt.verify(user.accessToken, key, { algorithms: ['ES256'] }) as jwt.JwtPayload;
      expect(claims.sub).to.equal(user.id);
    });

    it('answers a wrong password and an unknown login with the same 401, in about the same time', async () => {
      const login = uniqueLogin();
      await post(`${auth.url}/register`, { login, password: PASSWORD });
      const wrongPasswordMs: number[] = [];
      const unknownLoginMs: number[] = [];
      let wrongBody = '';
      let unknownBody = '';
      for (let i = 0; i < 5; i += 1) {
        let started = performance.now();
        const wrong = await post(`${auth.url}/login`, { login, password: 'not the password' }, { headers: freshIp() });
        wrongPasswordMs.push(performance.now() - started);
        started = performance.now();
        const unknown = await post(
          `${auth.url}/login`,
          { login: uniqueLogin('ghost'), password: 'not the password' },
          { headers: freshIp() },
        );
        unknownLoginMs.push(performance.now() - started);
        expect(wrong.status).to.equal(401);
        expect(unknown.status).to.equal(401);
        wrongBody = wrong.text;
        unknownBody = unknown.text;
      }
      expect(unknownBody).to.equal(wrongBody);
      // The unknown-login path must spend an argon2 verification too (tens of ms, against ~1 ms without).
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      expect(median(unknownLoginMs)).to.be.greaterThan(median(wrongPasswordMs) * 0.5);
    });

    it('answers bad login bodies with 400 and never consults the database with an operator', async () => {
      for (const body of [{ login: { $ne: null }, password: 'x' }, { login: 'a' }, {}, { login: 'a', password: 5 }]) {
        const res = await post(`${auth.url}/login`, body, { headers: freshIp() });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error.code).to.equal('bad_request');
      }
    });
  });

  describe('access tokens', () => {
    it('GET /me answers with the token owner', async () => {
      const user = await registerUser(auth.url);
      const res = await get(`${auth.url}/me`, { token: user.accessToken });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        id: user.id,
        login: user.login.toLowerCase(),
        displayName: user.login.toLowerCase(),
      });
    });

    it('refuses a missing token or a non-Bearer header with 401', async () => {
      expect((await get(`${auth.url}/me`)).status).to.equal(401);
      const basic = await get(`${auth.url}/me`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(basic.status).to.equal(401);
      expect(basic.body.error.code).to.equal('unauthorized');
    });

    it('refuses every forged, expired, premature or tampered token with 401', async () => {
      const user = await registerUser(auth.url);
      const cases = forgeries(user.id, user.accessToken);
      for (const [what, token] of Object.entries(cases)) {
        const res = await get(`${auth.url}/me`, { token });
        expect(res.status, what).to.equal(401);
        expect(res.body.error.code, what).to.equal('unauthorized');
      }
    });

    it('refuses a correctly signed token of a user who does not exist', async () => {
      const res = await get(`${auth.url}/me`, { token: signValid('22222222-2222-4222-8222-222222222222') });
      expect(res.status).to.equal(401);
    });
  });

  describe('DELETE /me', () => {
    it('needs the password, then ends the account: its tokens, its refresh tokens and its login stop working', async () => {
      const user = await registerUser(auth.url);
      const other = await registerUser(auth.url);
      const wrong = await request('DELETE', `${auth.url}/me`, { password: 'not it' }, { token: user.accessToken });
      expect(wrong.status).to.equal(401);
      const noBody = await request('DELETE', `${auth.url}/me`, {}, { token: user.accessToken });
      expect(noBody.status).to.equal(400);
      expect(noBody.body.error.code).to.equal('bad_request');
      expect((await request('DELETE', `${auth.url}/me`, { password: PASSWORD })).status).to.equal(401);
      expect((await get(`${auth.url}/me`, { token: user.accessToken })).status, 'still there after refusals').to.equal(
        200,
      );

      const deleted = await request('DELETE', `${auth.url}/me`, { password: PASSWORD }, { token: user.accessToken });
      expect(deleted.status).to.equal(204);
      expect((await get(`${auth.url}/me`, { token: user.accessToken })).status).to.equal(401);
      const refreshed = await post(`${auth.url}/token/refresh`, { refreshToken: user.refreshToken });
      expect(refreshed.status).to.equal(401);
      const login = await post(`${auth.url}/login`, { login: user.login, password: PASSWORD }, { headers: freshIp() });
      expect(login.status).to.equal(401);
      expect(
        await mongo
          .db(MONGO_DB)
          .collection('users')
          .countDocuments({ _id: user.id as never }),
      ).to.equal(0);
      expect((await get(`${auth.url}/me`, { token: other.accessToken })).status, 'other accounts untouched').to.equal(
        200,
      );
      // The login is free again.
      expect((await post(`${auth.url}/register`, { login: user.login, password: PASSWORD })).status).to.equal(201);
    });
  });

  describe('POST /token/refresh', () => {
    it('rotates: a new pair comes back and the spent refresh token is refused', async () => {
      const user = await registerUser(auth.url);
      const first = await post(`${auth.url}/token/refresh`, { refreshToken: user.refreshToken });
      expect(first.status).to.equal(200);
      expect(first.body.refreshToken).to.be.a('string').and.not.equal(user.refreshToken);
      expect((await get(`${auth.url}/me`, { token: first.body.accessToken })).status).to.equal(200);
      const replay = await post(`${auth.url}/token/refresh`, { refreshToken: user.refreshToken });
      expect(replay.status).to.equal(401);
    });

    it('revokes the whole family when a spent token is replayed', async () => {
      const user = await registerUser(auth.url);
      const rotated = await post(`${auth.url}/token/refresh`, { refreshToken: user.refreshToken });
      expect((await post(`${auth.url}/token/refresh`, { refreshToken: user.refreshToken })).status).to.equal(401);
      // The thief replayed the old token: the legitimate newer one is dead too.
      const legit = await post(`${auth.url}/token/refresh`, { refreshToken: rotated.body.refreshToken });
      expect(legit.status).to.equal(401);
      // A fresh login starts a new, working family.
      const again = await post(`${auth.url}/login`, { login: user.login, password: PASSWORD });
      expect((await post(`${auth.url}/token/refresh`, { refreshToken: again.body.refreshToken })).status).to.equal(200);
    });

    it('lets at most one of 8 concurrent refreshes with one token succeed', async () => {
      const user = await registerUser(auth.url);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => post(`${auth.url}/token/refresh`, { refreshToken: user.refreshToken })),
      );
      expect(results.filter((r) => r.status === 200).length).to.be.at.most(1);
      expect(results.every((r) => r.status === 200 || r.status === 401)).to.equal(true);
    });

    it('refuses an unknown token, and malformed bodies with 400', async () => {
      expect((await post(`${auth.url}/token/refresh`, { refreshToken: 'not-a-token' })).status).to.equal(401);
      expect((await post(`${auth.url}/token/refresh`, { refreshToken: { $ne: '' } })).status).to.equal(400);
      expect((await post(`${auth.url}/token/refresh`, {})).status).to.equal(400);
    });

    it('stores only a hash of each refresh token', async () => {
      const user = await registerUser(auth.url);
      const docs = await mongo.db(MONGO_DB).collection('refresh_tokens').find({ userId: user.id }).toArray();
      expect(docs).to.have.length(1);
      expect(JSON.stringify(docs)).not.to.include(user.refreshToken);
    });
  });

  describe('GET /users', () => {
    it('finds users by login prefix, at most 20, never with a hash', async () => {
      const tag = `p${Math.random().toString(36).slice(2, 7)}`;
      const me = await registerUser(auth.url, tag);
      for (let i = 0; i < 22; i += 1) await post(`${auth.url}/register`, { login: `${tag}-${i}`, password: PASSWORD });
      const res = await get(`${auth.url}/users?login=${tag.toUpperCase()}`, { token: me.accessToken });
      expect(res.status).to.equal(200);
      expect(res.body.users).to.have.length(20);
      for (const user of res.body.users) {
        expect(user).to.have.keys('id', 'login', 'displayName');
        expect(user.login.startsWith(tag)).to.equal(true);
      }
    });

    it('refuses prefixes shorter than 3 characters, saying so', async () => {
      const me = await registerUser(auth.url);
      for (const prefix of ['a', 'ab']) {
        const res = await get(`${auth.url}/users?login=${prefix}`, { token: me.accessToken });
        expect(res.status, prefix).to.equal(400);
        expect(res.body.error.message).to.match(/login: must be 3-32 letters/);
      }
      expect((await get(`${auth.url}/users?login=abc`, { token: me.accessToken })).status).to.equal(200);
    });

    it(`answers at most ${SEARCH_LIMIT} searches per user in a window, and others still search`, async () => {
      const [me, other] = await Promise.all([registerUser(auth.url), registerUser(auth.url)]);
      const burst = await Promise.all(
        Array.from({ length: SEARCH_LIMIT + 4 }, (_, i) =>
          get(`${auth.url}/users?login=zz${i}`, { token: me.accessToken }),
        ),
      );
      expect(burst.filter((res) => res.status === 200)).to.have.length(SEARCH_LIMIT);
      const refused = burst.filter((res) => res.status === 429);
      expect(refused).to.have.length(4);
      expect(refused[0]?.body.error.code).to.equal('rate_limited');
      expect(Number(refused[0]?.headers.get('retry-after'))).to.be.greaterThan(0);
      expect((await get(`${auth.url}/users?login=zzz`, { token: other.accessToken })).status).to.equal(200);
    });

    it('requires a token and a well-formed prefix', async () => {
      const me = await registerUser(auth.url);
      expect((await get(`${auth.url}/users?login=ab`)).status).to.equal(401);
      expect((await get(`${auth.url}/users?login=.*`, { token: me.accessToken })).status).to.equal(400);
      expect((await get(`${auth.url}/users?login[$ne]=x`, { token: me.accessToken })).status).to.equal(400);
      expect((await get(`${auth.url}/users?login=a&login=b`, { token: me.accessToken })).status).to.equal(400);
      expect((await get(`${auth.url}/users`, { token: me.accessToken })).status).to.equal(400);
    });
  });

  describe('failed-login rate limit', () => {
    it(`blocks a login after ${PER_LOGIN_ADDRESS_LIMIT} failures from one address with 429 and Retry-After, even with the right password`, async () => {
      const victim = await registerUser(auth.url);
      const attacker = freshIp();
      for (let i = 0; i < PER_LOGIN_ADDRESS_LIMIT; i += 1) {
        const res = await post(
          `${auth.url}/login`,
          { login: victim.login, password: 'wrong guess' },
          { headers: attacker },
        );
        expect(res.status).to.equal(401);
      }
      const blocked = await post(
        `${auth.url}/login`,
        { login: victim.login, password: PASSWORD },
        { headers: attacker },
      );
      expect(blocked.status).to.equal(429);
      expect(blocked.body.error.code).to.equal('rate_limited');
      const retryAfter = Number(blocked.headers.get('retry-after'));
      expect(retryAfter).to.be.greaterThan(0).and.at.most(900);
    });

    it('does not let failures from another address lock the user out', async () => {
      const victim = await registerUser(auth.url);
      const attacker = freshIp();
      for (let i = 0; i < PER_LOGIN_ADDRESS_LIMIT + 2; i += 1) {
        await post(`${auth.url}/login`, { login: victim.login, password: 'wrong guess' }, { headers: attacker });
      }
      const fromAttacker = await post(
        `${auth.url}/login`,
        { login: victim.login, password: PASSWORD },
        { headers: attacker },
      );
      expect(fromAttacker.status).to.equal(429);
      const fromVictim = await post(
        `${auth.url}/login`,
        { login: victim.login, password: PASSWORD },
        { headers: freshIp() },
      );
      expect(fromVictim.status).to.equal(200);
    });

    it(`blocks a login after ${PER_LOGIN_LIMIT} failures across all addresses`, async () => {
      const victim = await registerUser(auth.url);
      for (let i = 0; i < PER_LOGIN_LIMIT; i += 1) {
        const res = await post(
          `${auth.url}/login`,
          { login: victim.login, password: 'wrong guess' },
          { headers: freshIp() },
        );
        expect(res.status).to.equal(401);
      }
      const blocked = await post(
        `${auth.url}/login`,
        { login: victim.login, password: PASSWORD },
        { headers: freshIp() },
      );
      expect(blocked.status).to.equal(429);
    });

    it('takes the point before verifying, so a parallel burst cannot pass the bound', async () => {
      const victim = await registerUser(auth.url);
      const attacker = freshIp();
      const burst = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          post(
            `${auth.url}/login`,
            { login: victim.login, password: i === 12 ? PASSWORD : 'wrong guess' },
            { headers: attacker },
          ),
        ),
      );
      const statuses = burst.map((res) => res.status);
      const verified = statuses.filter((status) => status !== 429);
      // Exactly the bound is verified; a success refunds its one point, which may let one more through.
      expect(verified.length, statuses.join(',')).to.be.within(PER_LOGIN_ADDRESS_LIMIT, PER_LOGIN_ADDRESS_LIMIT + 1);
      expect(statuses.filter((status) => status === 429)).to.have.length(25 - verified.length);
    });

    it('bounds a parallel burst from one address across many logins', async () => {
      const office = freshIp();
      const burst = await Promise.all(
        Array.from({ length: PER_IP_LIMIT + 10 }, () =>
          post(`${auth.url}/login`, { login: uniqueLogin('burst'), password: 'nope nope' }, { headers: office }),
        ),
      );
      expect(burst.filter((res) => res.status === 401)).to.have.length(PER_IP_LIMIT);
      expect(burst.filter((res) => res.status === 429)).to.have.length(10);
    });

    it("never blocks a user's correct password because of other users' failures below the address bound", async () => {
      const office = freshIp();
      const alice = await registerUser(auth.url);
      for (let i = 0; i < PER_IP_LIMIT - 2; i += 1) {
        const res = await post(
          `${auth.url}/login`,
          { login: uniqueLogin('typo'), password: 'nope nope' },
          { headers: office },
        );
        expect(res.status).to.equal(401);
      }
      const ok = await post(`${auth.url}/login`, { login: alice.login, password: PASSWORD }, { headers: office });
      expect(ok.status).to.equal(200);
    });

    it('blocks an address past its own bound, while other addresses log in', async () => {
      const attacker = freshIp();
      for (let i = 0; i < PER_IP_LIMIT; i += 1) {
        await post(`${auth.url}/login`, { login: uniqueLogin('spray'), password: 'nope nope' }, { headers: attacker });
      }
      const bob = await registerUser(auth.url);
      const fromAttacker = await post(
        `${auth.url}/login`,
        { login: bob.login, password: PASSWORD },
        { headers: attacker },
      );
      expect(fromAttacker.status).to.equal(429);
      const fromElsewhere = await post(
        `${auth.url}/login`,
        { login: bob.login, password: PASSWORD },
        { headers: freshIp() },
      );
      expect(fromElsewhere.status).to.equal(200);
    });

    it('a successful login refunds its own point and does not clear earlier failures', async () => {
      const user = await registerUser(auth.url);
      const from = freshIp();
      for (let i = 0; i < PER_LOGIN_ADDRESS_LIMIT - 1; i += 1) {
        await post(`${auth.url}/login`, { login: user.login, password: 'wrong guess' }, { headers: from });
      }
      expect(
        (await post(`${auth.url}/login`, { login: user.login, password: PASSWORD }, { headers: from })).status,
      ).to.equal(200);
      expect(
        (await post(`${auth.url}/login`, { login: user.login, password: 'wrong guess' }, { headers: from })).status,
      ).to.equal(401);
      expect(
        (await post(`${auth.url}/login`, { login: user.login, password: PASSWORD }, { headers: from })).status,
      ).to.equal(429);
    });
  });

  describe('registration rate limit', () => {
    let limited: AppProcess;
    before(async () => {
      limited = await startApp('auth', { TRUST_PROXY: 'true', REGISTER_MAX_PER_IP: String(REGISTER_LIMIT) });
    });
    after(async () => {
      if (limited) expect(await limited.stop()).to.equal(0);
    });

    it(`refuses more than ${REGISTER_LIMIT} registrations per address in a burst, and serves other addresses`, async () => {
      const from = freshIp();
      const burst = await Promise.all(
        Array.from({ length: REGISTER_LIMIT + 3 }, () =>
          post(`${limited.url}/register`, { login: uniqueLogin('many'), password: PASSWORD }, { headers: from }),
        ),
      );
      expect(burst.filter((res) => res.status === 201)).to.have.length(REGISTER_LIMIT);
      const refused = burst.filter((res) => res.status === 429);
      expect(refused).to.have.length(3);
      expect(refused[0]?.body.error.code).to.equal('rate_limited');
      const elsewhere = await post(
        `${limited.url}/register`,
        { login: uniqueLogin(), password: PASSWORD },
        { headers: freshIp() },
      );
      expect(elsewhere.status).to.equal(201);
    });
  });

  describe('request logs', () => {
    it('name the peer, and the forwarded client address behind TRUST_PROXY', async () => {
      const probe = `/nope-${Date.now()}`;
      await get(`${auth.url}${probe}`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      // The app writes its log line after the answer leaves; wait for it to reach our pipe.
      const line = await eventually('the request log line', () =>
        auth
          .output()
          .split('\n')
          .find((text) => text.includes(probe)),
      );
      const logged = JSON.parse(line).req;
      expect(logged.remoteAddress).to.match(/127\.0\.0\.1/);
      expect(logged.clientAddress).to.equal('203.0.113.9');
    });
  });

  describe('hostile HTTP input', () => {
    it('answers malformed JSON with 400 and a body over 16 KB with 413, in the error format', async () => {
      const malformed = await request('POST', `${auth.url}/register`, undefined, { rawBody: '{"login": "x",' });
      expect(malformed.status).to.equal(400);
      expect(malformed.body).to.deep.equal({
        error: { code: 'bad_request', message: 'request body is not valid JSON' },
      });
      const huge = await post(`${auth.url}/register`, { login: 'biggie', password: 'x'.repeat(17 * 1024) });
      expect(huge.status).to.equal(413);
      expect(huge.body.error.code).to.equal('too_large');
    });

    it('answers unknown paths with a JSON 404 and sends security headers', async () => {
      const res = await get(`${auth.url}/nope`);
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('x-powered-by')).to.equal(null);
    });

    it('keeps serving after all of the above', async () => {
      await sleep(10);
      expect((await get(`${auth.url}/healthz`)).status).to.equal(200);
    });
  });

  describe('health', () => {
    it('GET /healthz is up and GET /readyz checks MongoDB and Redis', async () => {
      expect((await get(`${auth.url}/healthz`)).body).to.deep.equal({ status: 'ok' });
      const ready = await get(`${auth.url}/readyz`);
      expect(ready.status).to.equal(200);
      expect(ready.body).to.deep.equal({ status: 'ready', checks: { mongodb: 'ok', redis: 'ok' } });
    });
  });

  describe('logs', () => {
    it('never contain passwords or tokens', async () => {
      const user = await registerUser(auth.url);
      await post(`${auth.url}/token/refresh`, { refreshToken: user.refreshToken });
      await get(`${auth.url}/me?access_token=${user.accessToken}`, { token: user.accessToken });
      const output = auth.output();
      expect(output).to.include('login succeeded');
      expect(output).not.to.include(PASSWORD);
      expect(output).not.to.include(user.accessToken);
      expect(output).not.to.include(user.refreshToken);
    });
  });
});
