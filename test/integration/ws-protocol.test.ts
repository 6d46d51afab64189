import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import WebSocket from 'ws';
import { type AppProcess, startApp } from '../support/app-process.js';
import { ChatClient, FrameError } from '../support/chat-client.js';
import { forgeries, signValid } from '../support/forged-tokens.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser, type TestUser } from '../support/users.js';

const ALLOWED_ORIGIN = 'https://chat.example';

/**
 * The client protocol under hostile and clumsy clients: every refusal has its code, bad frames
 * never cost the connection, and abuse is closed with a code that says why, while other
 * clients keep being served.
 */
describe('WebSocket protocol', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let strict: AppProcess;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;

  before(async () => {
    system = await startSystem({ edges: 1, persisters: 1 });
    strict = await startApp(
      'ws-edge',
      {
        AUTH_JWKS_URL: `${system.auth.url}/.well-known/jwks.json`,
        NODE_ID: `strict-${process.pid}`,
        WS_RATE_PER_S: '20',
        WS_RATE_BURST: '40',
        WS_PING_INTERVAL_MS: '400',
        WS_MAX_CONNECTIONS_PER_USER: '3',
        WS_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      },
      { name: 'strict-edge' },
    );
    alice = await registerUser(system.auth.url, 'alice');
    bob = await registerUser(system.auth.url, 'bob');
    const client = await ChatClient.connect(strict.url, alice.accessToken);
    conversationId = (await client.request('conversation.open_direct', { userId: bob.id })).conversation.id;
    client.close();
  });

  after(async () => {
    await strict?.stop();
    await system?.stop();
  });

  const loose = () => system.edges[0]?.url ?? '';

  async function refusal(
    url: string,
    token: string | undefined,
    options: Parameters<typeof ChatClient.connect>[2] = {},
  ) {
    try {
      const client = await ChatClient.connect(url, token, options);
      client.close();
    } catch (error) {
      return error as { status?: number; body?: string };
    }
    return expect.fail('the upgrade was accepted');
  }

  describe('the upgrade', () => {
    it('refuses a missing token with 401 and a JSON error before any WebSocket exists', async () => {
      const refused = await refusal(strict.url, undefined);
      expect(refused.status).to.equal(401);
      expect(JSON.parse(refused.body ?? '{}').error.code).to.equal('unauthorized');
    });

    it('refuses every forged, expired or premature token with 401', async () => {
      for (const [what, token] of Object.entries(forgeries(alice.id, alice.accessToken))) {
        expect((await refusal(strict.url, token)).status, what).to.equal(401);
      }
    });

    it('refuses a valid token of a user who does not exist', async () => {
      expect((await refusal(strict.url, signValid('33333333-3333-4333-8333-333333333333'))).status).to.equal(401);
    });

    it('accepts the token in ?access_token= for browsers, and keeps it out of the logs', async () => {
      const client = await ChatClient.connect(strict.url, alice.accessToken, { tokenInQuery: true });
      expect(client.ready?.userId).to.equal(alice.id);
      client.close();
      expect(strict.output()).not.to.include(alice.accessToken);
    });

    it('checks Origin against the allow-list when one is sent; clients without Origin pass', async () => {
      expect(
        (await refusal(strict.url, alice.accessToken, { headers: { origin: 'https://evil.example' } })).status,
      ).to.equal(403);
      const allowed = await ChatClient.connect(strict.url, alice.accessToken, { headers: { origin: ALLOWED_ORIGIN } });
      allowed.close();
    });

    it('lets any Origin in when WS_ALLOWED_ORIGINS is unset on a loopback HOST, and says so at start', async () => {
      const local = await ChatClient.connect(loose(), alice.accessToken, {
        headers: { origin: 'https://any.example' },
      });
      local.close();
      expect(system.edges[0]?.output()).to.include('WS_ALLOWED_ORIGINS is unset: any browser Origin may connect');
      expect(strict.output()).not.to.include('WS_ALLOWED_ORIGINS is unset');
    });

    it('answers other paths with 404 and a user past the connection limit with 429', async () => {
      const wrongPath = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${strict.url.replace('http', 'ws')}/socket`, {
          headers: { authorization: `Bearer ${alice.accessToken}` },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
      expect(wrongPath).to.equal(404);
      const carol = await registerUser(system.auth.url, 'carol');
      const open = await Promise.all([1, 2, 3].map(() => ChatClient.connect(strict.url, carol.accessToken)));
      expect((await refusal(strict.url, carol.accessToken)).status).to.equal(429);
      for (const client of open) client.close();
    });
  });

  describe('frames', () => {
    it('answers every kind of bad frame with bad_request and keeps the connection up', async () => {
      const client = await ChatClient.connect(loose(), alice.accessToken);
      const garbage: Array<[string, string | Buffer, boolean]> = [
        ['malformed JSON', '{"type": "message.send",', false],
        ['a JSON array', '[1,2,3]', false],
        ['a JSON string', '"hello"', false],
        ['null', 'null', false],
        ['no type', '{"ref":"x1"}', false],
        ['an unknown type', '{"type":"message.delete","ref":"x2"}', false],
        ['a prototype-pollution type', '{"type":"__proto__","ref":"x3"}', false],
        ['a number body', JSON.stringify({ type: 'message.send', ref: 'x4', conversationId, body: 42 }), false],
        [
          'an operator object as conversationId',
          JSON.stringify({ type: 'message.send', ref: 'x5', conversationId: { $ne: null }, body: 'x' }),
          false,
        ],
        ['an empty body', JSON.stringify({ type: 'message.send', ref: 'x6', conversationId, body: '' }), false],
        [
          'a non-uuid conversationId',
          JSON.stringify({ type: 'history.get', ref: 'x7', conversationId: "1'; DROP TABLE" }),
          false,
        ],
        ['a string limit', JSON.stringify({ type: 'history.get', ref: 'x8', conversationId, limit: '10' }), false],
        ['an object ref', JSON.stringify({ type: 'ping', ref: { a: 1 } }), false],
        ['a binary frame', Buffer.from([1, 2, 3, 4]), true],
        [
          'both userId and login',
          JSON.stringify({ type: 'conversation.open_direct', ref: 'x9', userId: bob.id, login: bob.login }),
          false,
        ],
        [
          'a lone surrogate in the body',
          `{"type":"message.send","ref":"x10","conversationId":"${conversationId}","body":"\\ud800"}`,
          false,
        ],
      ];
      for (const [what, data, binary] of garbage) {
        const before = client.frames.length;
        client.sendRaw(data, binary);
        const answer = await client.waitFor(
          (frame) => client.frames.indexOf(frame) >= before && frame.type === 'error',
          5_000,
        );
        expect(answer.code, what).to.equal('bad_request');
        expect(answer.message, what).to.be.a('string').and.not.be.empty;
      }
      const refs = client.frames.filter((f) => f.type === 'error' && f.ref).map((f) => f.ref);
      expect(refs).to.include.members(['x2', 'x4', 'x5', 'x9']);
      expect((await client.request('ping')).now).to.be.a('string');
      client.close();
    });

    it('says what is wrong in words a client developer understands, echoing every ref it can', async () => {
      const client = await ChatClient.connect(loose(), alice.accessToken);
      const longRef = 'r'.repeat(65);
      const send = (fields: Record<string, unknown>) => ({
        type: 'message.send',
        conversationId,
        body: 'hi',
        ...fields,
      });
      const cases: Array<[Record<string, unknown>, string | number, RegExp]> = [
        [{ ref: 'm1' }, 'm1', /^the frame has no type: every frame needs one, such as "message\.send"$/],
        [{ type: 7, ref: 'm2' }, 'm2', /^type must be a string such as "message\.send", not of type number$/],
        [{ type: 'ping', ref: longRef }, longRef, /^ref must be .* not a string of 65 characters$/],
        [{ type: 'ping', ref: 1.5 }, 1.5, /^ref must be .* not the number 1\.5$/],
        [{ type: 'message.read', ref: 'm3', conversationId, seq: -1 }, 'm3', /^invalid seq: must be at least 0$/],
        [{ type: 'message.read', ref: 'm4', conversationId, seq: 1.5 }, 'm4', /^invalid seq: must be an integer$/],
        [{ type: 'message.read', ref: 'm5', conversationId, seq: '3' }, 'm5', /^invalid seq: must be a number$/],
        [{ type: 'message.read', ref: 'm6', conversationId }, 'm6', /^invalid seq: is required$/],
        [{ type: 'history.get', ref: 'm7', conversationId, limit: 0 }, 'm7', /^invalid limit: must be at least 1$/],
        [{ type: 'history.get', ref: 'm8', conversationId, limit: 101 }, 'm8', /^invalid limit: must be at most 100$/],
        [send({ ref: 'm9', conversationId: undefined }), 'm9', /^invalid conversationId: is required$/],
        [send({ ref: 'm10', conversationId: 'nope' }), 'm10', /^invalid conversationId: must be a UUID$/],
        [send({ ref: 'm11', body: '' }), 'm11', /^invalid body: must not be empty$/],
        [
          send({ ref: 'm12', clientMsgId: 'x'.repeat(129) }),
          'm12',
          /^invalid clientMsgId: must be at most 128 characters$/,
        ],
      ];
      for (const [frame, ref, message] of cases) {
        client.sendRaw(JSON.stringify(frame));
        const answer = await client.waitFor((f) => f.type === 'error' && f.ref === ref, 5_000);
        expect(answer.code, String(ref)).to.equal('bad_request');
        expect(answer.message, String(ref)).to.match(message);
      }
      client.close();
    });

    it('accepts a 4 KB body and refuses 4 KB + 1 byte with too_large', async () => {
      const client = await ChatClient.connect(loose(), alice.accessToken);
      await client.request('message.send', { conversationId, body: 'é'.repeat(2048) });
      const error = await client
        .request('message.send', { conversationId, body: `${'é'.repeat(2048)}x` })
        .catch((e) => e);
      expect(error).to.be.instanceOf(FrameError);
      expect((error as FrameError).code).to.equal('too_large');
      client.close();
    });

    it('refuses non-members with forbidden and unknown conversations with not_found', async () => {
      const mallory = await registerUser(system.auth.url, 'mallory');
      const client = await ChatClient.connect(loose(), mallory.accessToken);
      for (const type of ['message.send', 'history.get']) {
        const error = (await client.request(type, { conversationId, body: 'hi' }).catch((e) => e)) as FrameError;
        expect(error.code, type).to.equal('forbidden');
      }
      const error = (await client
        .request('message.send', { conversationId: '44444444-4444-4444-8444-444444444444', body: 'hi' })
        .catch((e) => e)) as FrameError;
      expect(error.code).to.equal('not_found');
      const addSelf = (await client
        .request('conversation.add_member', { conversationId, userId: mallory.id })
        .catch((e) => e)) as FrameError;
      expect(addSelf.code).to.equal('forbidden');
      client.close();
    });

    it('closes a frame over 64 KB with 1009', async () => {
      const client = await ChatClient.connect(loose(), alice.accessToken);
      client.sendRaw(JSON.stringify({ type: 'ping', pad: 'x'.repeat(70 * 1024) }));
      expect((await client.closed).code).to.equal(1009);
    });
  });

  describe('abuse', () => {
    it('closes a connection that keeps sending garbage with 1008', async () => {
      const client = await ChatClient.connect(loose(), alice.accessToken);
      for (let i = 0; i < 40; i += 1) client.sendRaw('not json at all');
      const closed = await client.closed;
      expect(closed.code).to.equal(1008);
      expect(closed.reason).to.match(/invalid frames/);
    });

    it('answers a flood with rate_limited and closes persistent abuse with 1008', async () => {
      const client = await ChatClient.connect(strict.url, bob.accessToken);
      for (let i = 0; i < 60; i += 1) client.send({ type: 'ping', ref: i });
      const limited = await client.waitFor((frame) => frame.type === 'error' && frame.code === 'rate_limited');
      expect(limited.message).to.match(/slow down/);
      for (let i = 0; i < 400 && client.ws.readyState === WebSocket.OPEN; i += 1) client.send({ type: 'ping' });
      const closed = await client.closed;
      expect(closed.code).to.equal(1008);
    });

    it('drops a peer that stops answering pings', async () => {
      const ws = new WebSocket(`${strict.url.replace('http', 'ws')}/ws`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
        autoPong: false,
      });
      const started = Date.now();
      const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
      expect(code).to.equal(1006);
      expect(Date.now() - started).to.be.lessThan(5_000);
    });

    it('closes a client that does not read, with 1013, instead of buffering for it', async () => {
      const reader = await registerUser(system.auth.url, 'slow');
      const writers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => registerUser(system.auth.url, `w${i}`)));
      const slow = await ChatClient.connect(loose(), reader.accessToken);
      const clients = await Promise.all(writers.map((writer) => ChatClient.connect(loose(), writer.accessToken)));
      const { conversation } = await (clients[0] as ChatClient).request('conversation.create_group', {
        title: 'firehose',
        members: [reader.id, ...writers.map((w) => w.id)],
      });
      // The reader stops reading: the kernel buffers fill, then the server's send buffer grows.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // Keep writing until the edge gives up on the reader (it says so in its log).
      const gaveUp = () => system.edges[0]?.output().includes('client reads too slowly') ?? false;
      const body = 'y'.repeat(4_000);
      for (let round = 0; round < 40 && !gaveUp(); round += 1) {
        await Promise.all(
          clients.map((client) =>
            Promise.all(
              Array.from({ length: 40 }, () =>
                client.request('message.send', { conversationId: conversation.id, body }),
              ),
            ),
          ),
        );
      }
      expect(gaveUp()).to.equal(true);
      // Reading again, the client drains what was queued and finds the close frame behind it.
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await slow.closed).code).to.equal(1013);
      expect((await (clients[0] as ChatClient).request('ping')).now).to.be.a('string');
      for (const client of clients) client.close();
    });
  });

  describe('token lifetime', () => {
    it('closes with 4001 when the access token expires', async () => {
      const now = Math.floor(Date.now() / 1000);
      const client = await ChatClient.connect(strict.url, signValid(alice.id, { exp: now + 2 }));
      const closed = await client.closed;
      expect(closed.code).to.equal(4001);
    });

    it('stays open past the old expiry after auth.refresh with a new token of the same user', async () => {
      const now = Math.floor(Date.now() / 1000);
      const client = await ChatClient.connect(strict.url, signValid(alice.id, { exp: now + 2 }));
      const wrongUser = (await client
        .request('auth.refresh', { accessToken: bob.accessToken })
        .catch((e) => e)) as FrameError;
      expect(wrongUser.code).to.equal('unauthorized');
      const ack = await client.request('auth.refresh', { accessToken: signValid(alice.id, { exp: now + 60 }) });
      expect(Date.parse(ack.expiresAt)).to.equal((now + 60) * 1000);
      await sleep(3_000);
      expect((await client.request('ping')).now).to.be.a('string');
      client.close();
    });
  });

  describe('afterwards', () => {
    it('accepts tokens of a rotated signing key: an unknown kid makes the edge fetch the JWKS again', async () => {
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const port = system.auth.port;
      await system.auth.stop();
      const rotated = await startApp(
        'auth',
        { JWT_KEYS_DIR: mkdtempSync(join(tmpdir(), 'chat-rotated-')) },
        { port, name: 'auth-rotated' },
      );
      try {
        const carol = await registerUser(rotated.url, 'rotated');
        const client = await ChatClient.connect(strict.url, carol.accessToken);
        expect(client.ready?.userId).to.equal(carol.id);
        client.close();
      } finally {
        await rotated.stop();
        system.auth = await startApp('auth', {}, { port });
      }
    });

    it('kept serving everyone else through all of the above', async () => {
      for (const url of [loose(), strict.url]) {
        const client = await ChatClient.connect(url, bob.accessToken);
        const history = await client.request('history.get', { conversationId });
        expect(history.messages).to.be.an('array');
        client.close();
      }
    });
  });
});
