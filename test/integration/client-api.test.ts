import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_FRAME_SCHEMAS } from '@chat/contracts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import { REPO_ROOT } from '../support/app-process.js';
import { ChatClient } from '../support/chat-client.js';
import { get, post, request } from '../support/http.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { PASSWORD, registerUser, type TestUser, uniqueLogin } from '../support/users.js';
import { eventually } from '../support/wait.js';

const WEB_ORIGIN = 'http://localhost:8088';
const OTHER_ORIGIN = 'https://evil.example.org';
const SEARCH_LIMIT = 3;

/** What a browser or SDK client needs from the HTTP APIs, asked of the real apps. */
describe('client API', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let alice: TestUser;
  let bob: TestUser;
  const edge = () => system.edges[0]?.url ?? '';

  before(async () => {
    system = await startSystem({
      edges: 1,
      env: { AUTH_ALLOWED_ORIGINS: WEB_ORIGIN, USER_SEARCH_MAX_PER_USER: String(SEARCH_LIMIT) },
      edgeEnv: { WS_ALLOWED_ORIGINS: WEB_ORIGIN },
      withPresence: true,
    });
    [alice, bob] = (await Promise.all(['alice', 'bob'].map((tag) => registerUser(system.auth.url, tag)))) as [
      TestUser,
      TestUser,
    ];
  });

  after(async () => {
    await system?.stop();
  });

  const preflight = (url: string, origin: string, method = 'GET') =>
    request('OPTIONS', url, undefined, {
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' },
    });

  describe('CORS', () => {
    it('answers a preflight from a configured origin on auth and on the edge, before authentication', async () => {
      const edgeUrl = edge();
      for (const [url, method] of [
        [`${system.auth.url}/users?login=abc`, 'GET'],
        [`${system.auth.url}/login`, 'POST'],
        [`${system.auth.url}/me`, 'PATCH'],
        [`${edgeUrl}/conversations`, 'GET'],
        [`${edgeUrl}/conversations/group`, 'POST'],
      ] as const) {
        const res = await preflight(url, WEB_ORIGIN, method);
        expect(res.status, url).to.equal(204);
        expect(res.headers.get('access-control-allow-origin'), url).to.equal(WEB_ORIGIN);
        expect(res.headers.get('access-control-allow-methods'), url).to.include(method);
        expect(res.headers.get('access-control-allow-headers')?.toLowerCase(), url).to.include('authorization');
        expect(res.headers.get('access-control-allow-headers')?.toLowerCase(), url).to.include('content-type');
        expect(res.headers.get('access-control-allow-credentials'), url).to.equal(null);
        expect(res.headers.get('vary'), url).to.match(/origin/i);
      }
    });

    it('marks real answers, errors included, for the configured origin', async () => {
      const edgeUrl = edge();
      const ok = await request('GET', `${system.auth.url}/me`, undefined, {
        token: alice.accessToken,
        headers: { origin: WEB_ORIGIN },
      });
      expect(ok.status).to.equal(200);
      expect(ok.headers.get('access-control-allow-origin')).to.equal(WEB_ORIGIN);
      const list = await request('GET', `${edgeUrl}/conversations`, undefined, {
        token: alice.accessToken,
        headers: { origin: WEB_ORIGIN },
      });
      expect(list.status).to.equal(200);
      expect(list.headers.get('access-control-allow-origin')).to.equal(WEB_ORIGIN);
      const refused = await request('GET', `${edgeUrl}/conversations`, undefined, { headers: { origin: WEB_ORIGIN } });
      expect(refused.status).to.equal(401);
      expect(refused.headers.get('access-control-allow-origin')).to.equal(WEB_ORIGIN);
      expect(refused.headers.get('access-control-expose-headers')).to.include('Retry-After');
    });

    it('gives any other origin nothing: a 403 preflight and no Access-Control-Allow-* on answers', async () => {
      const edgeUrl = edge();
      for (const url of [`${system.auth.url}/me`, `${edgeUrl}/conversations`]) {
        const res = await preflight(url, OTHER_ORIGIN);
        expect(res.status, url).to.equal(403);
        expect(res.body.error.code).to.equal('forbidden');
        expect(
          [...res.headers.keys()].filter((name) => name.startsWith('access-control-')),
          url,
        ).to.deep.equal([]);
        const answer = await request('GET', url, undefined, {
          token: alice.accessToken,
          headers: { origin: OTHER_ORIGIN },
        });
        expect(answer.status, url).to.equal(200);
        expect(answer.headers.get('access-control-allow-origin'), url).to.equal(null);
      }
    });

    it('opens nothing when no origin is configured', async () => {
      const plain = await startSystem({ edges: 1, persisters: 0 });
      try {
        for (const url of [`${plain.auth.url}/me`, `${plain.edges[0]?.url}/conversations`]) {
          const res = await preflight(url, WEB_ORIGIN);
          expect(res.status, url).to.equal(403);
          expect(res.headers.get('access-control-allow-origin'), url).to.equal(null);
        }
      } finally {
        await plain.stop();
      }
    });
  });

  describe('unread in conversation lists', () => {
    it('conversation.list and GET /conversations carry unread, equal to session.ready', async () => {
      const a = await ChatClient.connect(edge(), alice.accessToken);
      const { conversation } = await a.request('conversation.open_direct', { userId: bob.id });
      const conversationId = conversation.id as string;
      for (let i = 1; i <= 3; i += 1) await a.request('message.send', { conversationId, body: `u${i}` });
      const b = await ChatClient.connect(edge(), bob.accessToken);
      const unreadOf = async () =>
        (await b.request('conversation.list')).conversations.find((c: { id: string }) => c.id === conversationId)
          ?.unread;
      await eventually('3 unread in conversation.list', async () => (await unreadOf()) === 3);
      await b.request('message.read', { conversationId, seq: 1 });
      await eventually('the read cursor in conversation.list', async () => (await unreadOf()) === 2);

      const listed = await b.request('conversation.list');
      const rest = await get(`${edge()}/conversations`, { token: bob.accessToken });
      expect(rest.status).to.equal(200);
      const again = await ChatClient.connect(edge(), bob.accessToken);
      for (const conversations of [listed.conversations, rest.body.conversations, again.ready?.conversations]) {
        expect(conversations.find((c: { id: string }) => c.id === conversationId)).to.include({
          lastSeq: 3,
          unread: 2,
        });
      }
      expect(listed.conversations).to.deep.equal(again.ready?.conversations);
      expect(rest.body.conversations).to.deep.equal(again.ready?.conversations);
      // The sender's own messages are never unread to them.
      const own = await get(`${edge()}/conversations`, { token: alice.accessToken });
      expect(own.body.conversations.find((c: { id: string }) => c.id === conversationId)).to.include({ unread: 0 });
      for (const client of [a, b, again]) client.close();
    });
  });

  describe('GET /users?ids=', () => {
    const lookup = (ids: string, token: string | null = alice.accessToken) =>
      get(`${system.auth.url}/users?ids=${encodeURIComponent(ids)}`, token ? { token } : {});

    it('answers the public users of the ids, in the order asked, unknown ids left out, each once', async () => {
      const unknown = '0190a000-0000-7000-8000-000000000000';
      const res = await lookup([bob.id, unknown, alice.id.toUpperCase(), bob.id].join(','));
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        users: [
          { id: bob.id, login: bob.login.toLowerCase(), displayName: bob.login.toLowerCase() },
          { id: alice.id, login: alice.login.toLowerCase(), displayName: alice.login.toLowerCase() },
        ],
      });
      expect(res.text).not.to.match(/passwordHash|lastSeen|createdAt/);
    });

    it('takes 1-100 UUIDs, Bearer-authenticated, and not both login and ids', async () => {
      const hundred = Array.from({ length: 100 }, () => crypto.randomUUID());
      expect((await lookup([...hundred, alice.id].join(','))).status).to.equal(400);
      const ok = await lookup([...hundred.slice(1), alice.id].join(','));
      expect(ok.status).to.equal(200);
      expect(ok.body.users.map((user: { id: string }) => user.id)).to.deep.equal([alice.id]);
      for (const bad of ['', 'not-a-uuid', `${alice.id},{"$ne":null}`, `${alice.id},`]) {
        const res = await lookup(bad);
        expect(res.status, bad).to.equal(400);
        expect(res.body.error.code, bad).to.equal('bad_request');
      }
      expect((await lookup(alice.id, null)).status).to.equal(401);
      const both = await get(`${system.auth.url}/users?ids=${alice.id}&login=abc`, { token: alice.accessToken });
      expect(both.status).to.equal(400);
      const repeated = await get(`${system.auth.url}/users?ids=${alice.id}&ids=${bob.id}`, {
        token: alice.accessToken,
      });
      expect(repeated.status).to.equal(400);
    });

    it('does not spend the prefix search quota, which still holds', async () => {
      const carol = await registerUser(system.auth.url, 'carol');
      for (let i = 0; i < SEARCH_LIMIT + 2; i += 1)
        expect((await lookup(alice.id, carol.accessToken)).status).to.equal(200);
      const search = () => get(`${system.auth.url}/users?login=car`, { token: carol.accessToken });
      for (let i = 0; i < SEARCH_LIMIT; i += 1) expect((await search()).status).to.equal(200);
      const refused = await search();
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
    });
  });

  describe('account', () => {
    const refresh = (refreshToken: string) => post(`${system.auth.url}/token/refresh`, { refreshToken });
    const login = (user: TestUser, password = PASSWORD) =>
      post(`${system.auth.url}/login`, { login: user.login, password });

    it('POST /logout revokes the family of the refresh token given, spent or not, and only that one', async () => {
      const user = await registerUser(system.auth.url, 'logout');
      const other = (await login(user)).body.refreshToken as string;
      const rotated = await refresh(user.refreshToken);
      expect(rotated.status).to.equal(200);
      // The spent first token still names its family.
      const out = await post(`${system.auth.url}/logout`, { refreshToken: user.refreshToken });
      expect(out.status, out.text).to.equal(204);
      expect((await refresh(rotated.body.refreshToken)).status).to.equal(401);
      const stillIn = await refresh(other);
      expect(stillIn.status).to.equal(200);
      // No Bearer needed, repeatable, and an unknown token is no error either.
      expect((await post(`${system.auth.url}/logout`, { refreshToken: user.refreshToken })).status).to.equal(204);
      expect((await post(`${system.auth.url}/logout`, { refreshToken: 'never-issued' })).status).to.equal(204);
      expect((await post(`${system.auth.url}/logout`, {})).status).to.equal(400);
      expect((await post(`${system.auth.url}/logout`, { refreshToken: { $ne: null } })).status).to.equal(400);
    });

    it('POST /password needs the current password, keeps this device with a new pair and ends the other sessions', async () => {
      const user = await registerUser(system.auth.url, 'passwd');
      const otherDevice = (await login(user)).body.refreshToken as string;
      const change = (body: unknown, token: string | undefined = user.accessToken) =>
        post(`${system.auth.url}/password`, body, token ? { token } : {});
      const newPassword = 'a much better passphrase';

      expect((await change({ currentPassword: PASSWORD, newPassword }, '')).status).to.equal(401);
      const wrong = await change({ currentPassword: 'not the password', newPassword });
      expect(wrong.status).to.equal(401);
      const weak = await change({ currentPassword: PASSWORD, newPassword: user.login.toUpperCase() });
      expect(weak.status).to.equal(400);
      expect(weak.body.error.message).to.match(/newPassword/);
      expect((await change({ currentPassword: PASSWORD, newPassword: 'short' })).status).to.equal(400);
      expect((await refresh(otherDevice)).status, 'a refused change ends nothing').to.equal(200);

      const sessionBefore = (await login(user)).body.refreshToken as string;
      const changed = await change({ currentPassword: PASSWORD, newPassword });
      expect(changed.status, changed.text).to.equal(200);
      expect(changed.body).to.include({ tokenType: 'Bearer' });
      expect((await refresh(sessionBefore)).status).to.equal(401);
      expect((await refresh(user.refreshToken)).status).to.equal(401);
      expect((await login(user)).status).to.equal(401);
      expect((await login(user, newPassword)).status).to.equal(200);
      const kept = await refresh(changed.body.refreshToken);
      expect(kept.status).to.equal(200);
      expect((await get(`${system.auth.url}/me`, { token: changed.body.accessToken })).status).to.equal(200);
    });

    it('POST /password ends the other sessions at once: their sockets close (4004) and their access tokens are refused', async () => {
      const user = await registerUser(system.auth.url, 'ended');
      const otherDevice = (await login(user)).body as { accessToken: string; refreshToken: string };
      const phone = await ChatClient.connect(edge(), otherDevice.accessToken);
      const laptop = await ChatClient.connect(edge(), user.accessToken);
      const newPassword = 'an entirely new passphrase';
      const changed = await post(
        `${system.auth.url}/password`,
        { currentPassword: PASSWORD, newPassword },
        { token: user.accessToken },
      );
      expect(changed.status, changed.text).to.equal(200);

      // Both sockets were opened with tokens from before the change; the changing device reconnects with its new pair.
      const [phoneClosed, laptopClosed] = await Promise.all([phone.closed, laptop.closed]);
      expect(phoneClosed.code).to.equal(4004);
      expect(laptopClosed.code).to.equal(4004);
      for (const token of [otherDevice.accessToken, user.accessToken]) {
        const me = await get(`${system.auth.url}/me`, { token });
        expect(me.status).to.equal(401);
        expect(me.body.error.message).to.match(/session ended/);
        expect((await get(`${edge()}/conversations`, { token })).status).to.equal(401);
        const upgrade = await ChatClient.connect(edge(), token).then(
          (client) => {
            client.close();
            return expect.fail('the upgrade was accepted');
          },
          (error: { status?: number }) => error,
        );
        expect(upgrade.status).to.equal(401);
      }
      expect((await refresh(otherDevice.refreshToken)).status).to.equal(401);

      const again = await ChatClient.connect(edge(), changed.body.accessToken);
      expect(again.ready?.userId).to.equal(user.id);
      const renewed = await refresh(changed.body.refreshToken);
      expect(renewed.status).to.equal(200);
      expect((await again.request('auth.refresh', { accessToken: renewed.body.accessToken })).expiresAt).to.be.a(
        'string',
      );
      // An old token cannot be brought back onto a socket either.
      const refused = await again.request('auth.refresh', { accessToken: otherDevice.accessToken }).catch((e) => e);
      expect(refused.code).to.equal('unauthorized');
      expect((await again.request('ping', {})).now).to.be.a('string');
      again.close();
    });

    it('PATCH /me changes the display name, validated as at registration, pushed to contacts, and others look it up', async () => {
      const user = await registerUser(system.auth.url, 'rename');
      const stranger = await registerUser(system.auth.url, 'stranger');
      const own = await ChatClient.connect(edge(), user.accessToken);
      await own.request('conversation.open_direct', { userId: alice.id });
      const contact = await ChatClient.connect(edge(), alice.accessToken);
      const outsider = await ChatClient.connect(edge(), stranger.accessToken);
      const patch = (body: unknown, token: string | undefined = user.accessToken) =>
        request('PATCH', `${system.auth.url}/me`, body, token ? { token } : {});
      const renamed = await patch({ displayName: '  Ada 👩‍💻 L. ' });
      expect(renamed.status, renamed.text).to.equal(200);
      for (const socket of [own, contact]) {
        const pushed = await socket.waitFor((f) => f.type === 'user.changed');
        expect(pushed).to.deep.equal({ type: 'user.changed', user: renamed.body });
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(
        outsider.frames.filter((f) => f.type === 'user.changed'),
        'a stranger is told nothing',
      ).to.deep.equal([]);
      for (const socket of [own, contact, outsider]) socket.close();
      expect(renamed.body).to.deep.equal({ id: user.id, login: user.login.toLowerCase(), displayName: 'Ada 👩‍💻 L.' });
      expect((await get(`${system.auth.url}/me`, { token: user.accessToken })).body.displayName).to.equal(
        'Ada 👩‍💻 L.',
      );
      const seen = await get(`${system.auth.url}/users?ids=${user.id}`, { token: alice.accessToken });
      expect(seen.body.users[0].displayName).to.equal('Ada 👩‍💻 L.');
      for (const displayName of ['@alice', '', '   ', 'invoice\u202egnp.exe', 'x'.repeat(65), 42]) {
        const res = await patch({ displayName });
        expect(res.status, String(displayName)).to.equal(400);
        expect(res.body.error.message, String(displayName)).to.match(/displayName/);
      }
      expect((await patch({})).status).to.equal(400);
      expect((await patch({ displayName: 'Nobody' }, '')).status).to.equal(401);
      expect((await get(`${system.auth.url}/me`, { token: user.accessToken })).body.displayName).to.equal(
        'Ada 👩‍💻 L.',
      );
    });
  });

  describe('generated JSON Schemas against the real edge', () => {
    it('a frame docs/contracts/client-frames.json accepts is acked, one it refuses is bad_request', async () => {
      const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/contracts/client-frames.json'), 'utf8'));
      const valid = new Ajv2020({ strict: true, validateFormats: false }).compile(schema);
      const client = await ChatClient.connect(edge(), alice.accessToken);
      const { conversation } = await client.request('conversation.open_direct', { userId: bob.id });
      const frames: Record<string, unknown>[] = [
        { type: 'ping' },
        { type: 'conversation.list' },
        { type: 'presence.query', userIds: [bob.id] },
        { type: 'message.send', conversationId: conversation.id, body: 'by the schema', clientMsgId: 'schema-1' },
        { type: 'history.get', conversationId: conversation.id, limit: 100 },
        { type: 'conversation.create_group', title: 'Schema', members: [bob.id] },
        { type: 'message.send', conversationId: 'nope', body: 'x' },
        { type: 'message.send', conversationId: conversation.id, body: '' },
        { type: 'history.get', conversationId: conversation.id, limit: 101 },
        { type: 'presence.query', userIds: [] },
        { type: 'conversation.create_group', title: '', members: [bob.id] },
        { type: 'no.such.frame' },
      ];
      let ref = 0;
      for (const frame of frames) {
        ref += 1;
        const shown = JSON.stringify(frame);
        client.send({ ...frame, ref });
        const answer = await client.waitFor((f) => f.ref === ref && (f.type === 'ack' || f.type === 'error'));
        if (valid(frame)) expect(answer.type, shown).to.equal('ack');
        else expect([answer.type, answer.code], shown).to.deep.equal(['error', 'bad_request']);
      }
      expect(frames.filter((frame) => valid(frame))).to.have.length(6);
      client.close();
    });
  });

  describe('generated server frame schemas against the real edge', () => {
    it('every frame the edge sends through a whole conversation matches docs/contracts/server-frames.json', async () => {
      const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/contracts/server-frames.json'), 'utf8'));
      const valid = new Ajv2020({ strict: true, validateFormats: false, allErrors: true }).compile(schema);
      const [ann, ben, cat] = await Promise.all(['ann', 'ben', 'cat'].map((tag) => registerUser(system.auth.url, tag)));
      if (!ann || !ben || !cat) throw new Error('no users');
      const a = await ChatClient.connect(edge(), ann.accessToken);
      const { conversation } = await a.request('conversation.create_group', { title: 'Frames', members: [ben.id] });
      const b = await ChatClient.connect(edge(), ben.accessToken);
      await a.waitFor((f) => f.type === 'presence.changed' && f.userId === ben.id);
      const conversationId = conversation.id;
      const { messageId } = await a.request('message.send', { conversationId, body: 'one', clientMsgId: 'f-1' });
      await b.waitFor((f) => f.type === 'message.new' && f.message.id === messageId);
      await b.request('message.send', { conversationId, body: 'two', clientMsgId: 'f-2', replyTo: messageId });
      await a.request('message.edit', { conversationId, messageId, body: 'one, edited' });
      await b.request('reaction.add', { conversationId, messageId, emoji: '👍' });
      await a.request('conversation.rename', { conversationId, title: 'Frames 2' });
      await a.request('conversation.add_member', { conversationId, userId: cat.id });
      await a.request('conversation.remove_member', { conversationId, userId: cat.id });
      await b.request('typing', { conversationId });
      await b.request('message.delivered', { conversationId, seq: 2 });
      const head = (await a.request('message.delete', { conversationId, messageId })).seq as number;
      const b2 = await ChatClient.connect(edge(), ben.accessToken);
      await b.request('message.read', { conversationId, seq: head });
      await a.waitFor((f) => f.type === 'receipt.changed' && f.readSeq === head);
      await b2.waitFor((f) => f.type === 'message.read');
      const renamed = await request(
        'PATCH',
        `${system.auth.url}/me`,
        { displayName: 'Ben B.' },
        { token: ben.accessToken },
      );
      expect(renamed.status).to.equal(200);
      await a.waitFor((f) => f.type === 'user.changed');
      await a.request('history.get', { conversationId }).catch(() => undefined);
      await a.request('message.send', { conversationId: 'nope', body: 'x' }).catch(() => undefined);
      await b.waitFor((f) => f.type === 'message.deleted');

      const frames = [...a.frames, ...b.frames, ...b2.frames];
      for (const frame of frames)
        expect(valid(frame), `${JSON.stringify(frame)}: ${JSON.stringify(valid.errors)}`).to.equal(true);
      const seen = new Set(frames.map((frame) => frame.type as string));
      const expected = Object.keys(SERVER_FRAME_SCHEMAS).filter((type) => type !== 'session.resync');
      expect([...seen].sort(), 'session.resync is covered by edge-broker-link.test.ts').to.deep.equal(expected.sort());
      // And the schemas are not a rubber stamp.
      expect(valid({ type: 'message.new', message: { id: 'x' } })).to.equal(false);
      expect(valid({ type: 'presence.changed', userId: ann.id, status: 'away', version: 1 })).to.equal(false);
      for (const client of [a, b, b2]) client.close();
    });

    it('both apps serve the contracts they were built with at /contracts', async () => {
      for (const base of [system.auth.url, edge()]) {
        const index = await get(`${base}/contracts`);
        expect(index.status).to.equal(200);
        const names = index.body.documents as string[];
        const checkedIn = readdirSync(join(REPO_ROOT, 'docs/contracts')).filter((name) => name.endsWith('.json'));
        expect([...names].sort()).to.deep.equal(checkedIn.sort());
        for (const name of names) {
          const served = await get(`${base}/contracts/${name}`);
          expect(served.status, name).to.equal(200);
          expect(served.headers.get('content-type'), name).to.match(/^application\/json/);
          expect(served.text, name).to.equal(readFileSync(join(REPO_ROOT, 'docs/contracts', name), 'utf8'));
        }
        expect((await get(`${base}/contracts/nope.json`)).status).to.equal(404);
      }
    });
  });

  describe('generated OpenAPI documents against the real apps', () => {
    interface Call {
      api: 'auth' | 'edge';
      method: string;
      /** The path as the document names it. */
      path: string;
      /** What is appended to the base URL. */
      target?: string;
      body?: unknown;
      token?: string;
    }

    it('every documented operation exists, answers a documented status, and its body matches the schema', async () => {
      const documents = {
        auth: JSON.parse(readFileSync(join(REPO_ROOT, 'docs/contracts/openapi-auth.json'), 'utf8')),
        edge: JSON.parse(readFileSync(join(REPO_ROOT, 'docs/contracts/openapi-edge.json'), 'utf8')),
      };
      const ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: true });
      const dora = await registerUser(system.auth.url, 'dora');
      const session = (await post(`${system.auth.url}/login`, { login: dora.login, password: PASSWORD })).body;
      const newPassword = 'an entirely new passphrase';
      const direct = await post(`${edge()}/conversations/direct`, { userId: bob.id }, { token: alice.accessToken });
      const conversationId = direct.body.conversation.id as string;
      let afterChange = '';
      const calls: (Call | (() => Call))[] = [
        { api: 'auth', method: 'post', path: '/register', body: { login: uniqueLogin('oas'), password: PASSWORD } },
        { api: 'auth', method: 'post', path: '/login', body: { login: dora.login, password: PASSWORD } },
        { api: 'auth', method: 'post', path: '/token/refresh', body: { refreshToken: session.refreshToken } },
        { api: 'auth', method: 'post', path: '/logout', body: { refreshToken: session.refreshToken } },
        { api: 'auth', method: 'get', path: '/me', token: dora.accessToken },
        { api: 'auth', method: 'patch', path: '/me', body: { displayName: 'Dora' }, token: dora.accessToken },
        { api: 'auth', method: 'get', path: '/users', target: '/users?login=dor', token: dora.accessToken },
        {
          api: 'auth',
          method: 'get',
          path: '/users',
          target: `/users?ids=${alice.id},${dora.id}`,
          token: dora.accessToken,
        },
        { api: 'auth', method: 'get', path: '/.well-known/jwks.json' },
        { api: 'auth', method: 'get', path: '/healthz' },
        { api: 'auth', method: 'get', path: '/readyz' },
        {
          api: 'auth',
          method: 'post',
          path: '/password',
          body: { currentPassword: PASSWORD, newPassword },
          token: dora.accessToken,
        },
        () => ({ api: 'auth', method: 'delete', path: '/me', body: { password: newPassword }, token: afterChange }),
        { api: 'edge', method: 'get', path: '/conversations', token: alice.accessToken },
        {
          api: 'edge',
          method: 'post',
          path: '/conversations/direct',
          body: { userId: bob.id },
          token: alice.accessToken,
        },
        {
          api: 'edge',
          method: 'post',
          path: '/conversations/group',
          body: { title: 'OpenAPI', members: [bob.id] },
          token: alice.accessToken,
        },
        {
          api: 'edge',
          method: 'get',
          path: '/conversations/{conversationId}/messages',
          target: `/conversations/${conversationId}/messages?limit=10`,
          token: alice.accessToken,
        },
        { api: 'edge', method: 'get', path: '/healthz' },
        { api: 'edge', method: 'get', path: '/readyz' },
      ];
      const called = new Set<string>();
      for (const entry of calls) {
        const call = typeof entry === 'function' ? entry() : entry;
        const base = call.api === 'auth' ? system.auth.url : edge();
        const res = await request(call.method.toUpperCase(), `${base}${call.target ?? call.path}`, call.body, {
          ...(call.token ? { token: call.token } : {}),
        });
        const name = `${call.api} ${call.method.toUpperCase()} ${call.path}`;
        const documented = documents[call.api].paths[call.path]?.[call.method];
        expect(documented, `${name} is documented`).to.be.an('object');
        const answer = documented.responses[String(res.status)];
        expect(answer, `${name} answered ${res.status}, which is not documented: ${res.text}`).to.be.an('object');
        expect(res.status, `${name}: ${res.text}`).to.be.below(300);
        const schema = answer.content?.['application/json']?.schema;
        if (schema) {
          const validate = ajv.compile(schema);
          expect(validate(res.body), `${name}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
        }
        if (call.path === '/password') afterChange = res.body.accessToken;
        called.add(name);
      }
      const documentedOperations = (['auth', 'edge'] as const).flatMap((api) =>
        Object.entries(documents[api].paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
          Object.keys(methods).map((method) => `${api} ${method.toUpperCase()} ${path}`),
        ),
      );
      expect([...called].sort(), 'every documented operation is exercised').to.deep.equal(documentedOperations.sort());
    });
  });
});
