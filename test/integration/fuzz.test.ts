import { connect } from 'node:net';
import { ERROR_CODES } from '@chat/contracts';
import { expect } from 'chai';
import fc from 'fast-check';
import WebSocket from 'ws';
import { forceGc } from '../../scripts/src/inspector.js';
import { processMetrics } from '../../scripts/src/process-metrics.js';
import type { AppProcess } from '../support/app-process.js';
import { ChatClient, type FrameError } from '../support/chat-client.js';
import { deeplyNested, hostileValue, mutatedRecord } from '../support/hostile-inputs.js';
import { post, request } from '../support/http.js';
import { recordHostileInput } from '../support/reliability.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { REDIS_PREFIX } from '../support/test-environment.js';
import { PASSWORD, registerUser, type TestUser, uniqueLogin } from '../support/users.js';

const WS_INPUTS = 15_000;
const HTTP_INPUTS = 6_000;
const FRAME_TYPES = [
  'message.send',
  'history.get',
  'conversation.open_direct',
  'conversation.create_group',
  'conversation.add_member',
  'conversation.leave',
  'conversation.list',
  'auth.refresh',
  'typing',
  'message.read',
  'presence.query',
  'ping',
];
/** Close codes that are the protocol's own answer to abuse: repeated garbage, oversize, invalid UTF-8. */
const ABUSE_CLOSE_CODES = [1007, 1008, 1009];

/**
 * Property-based fuzzing of the WebSocket protocol and every HTTP endpoint with generated and
 * mutated inputs. Every input gets a well-formed answer with a stable code (or, for abuse, a
 * close code that says why); the processes stay up, log no unexpected error or stack trace,
 * and their heap comes back down.
 */
describe('hostile input (fast-check)', function () {
  this.timeout(300_000);
  let system: TestSystem;
  let user: TestUser;
  let other: TestUser;
  let conversationId: string;
  let tried = 0;

  before(async () => {
    system = await startSystem({
      edges: 1,
      persisters: 1,
      withPresence: true,
      // The inspector lets the test force a full GC before reading the heap (loopback only).
      edgeEnv: {
        WS_RATE_PER_S: '100000',
        WS_RATE_BURST: '100000',
        LOG_LEVEL: 'info',
        NODE_OPTIONS: '--inspect=127.0.0.1:0',
      },
      // Its own Redis prefix: the failed logins it provokes must not count against the other tests.
      env: { LOGIN_MAX_FAILURES_PER_IP: '1000000', TRUST_PROXY: 'false', REDIS_PREFIX: `${REDIS_PREFIX}-fuzz` },
    });
    user = await registerUser(system.auth.url, 'fuzz');
    other = await registerUser(system.auth.url, 'fuzz2');
    const client = await ChatClient.connect(edge().url, user.accessToken);
    conversationId = (await client.request('conversation.open_direct', { userId: other.id })).conversation.id;
    client.close();
  });

  after(async () => {
    await system?.stop();
    process.stdout.write(`      (${tried} hostile inputs tried)\n`);
  });

  function edge(): AppProcess {
    return system.edges[0] as AppProcess;
  }

  it(`answers ${WS_INPUTS} generated and mutated WebSocket frames with a stable code, and stays up`, async () => {
    const heapBefore = await heapAfterGc(edge());
    let socket = await open();
    let answered = 0;
    let closes = 0;

    const frame = fc.oneof(
      {
        weight: 4,
        arbitrary: mutatedRecord({
          type: fc.constantFrom(...FRAME_TYPES),
          ref: fc.oneof(fc.string({ maxLength: 64 }), fc.integer()),
          conversationId: fc.constant(conversationId),
          body: fc.string({ unit: 'grapheme', maxLength: 300 }),
          clientMsgId: fc.string({ maxLength: 40 }),
          seq: fc.nat(),
          limit: fc.integer({ min: -5, max: 200 }),
          userIds: fc.array(fc.uuid(), { maxLength: 3 }),
          userId: fc.uuid(),
          title: fc.string({ maxLength: 120 }),
          members: fc.array(fc.uuid(), { maxLength: 3 }),
          accessToken: fc.string({ maxLength: 100 }),
        }).map((value) => ({ text: JSON.stringify(value), binary: false })),
      },
      {
        weight: 2,
        arbitrary: hostileValue().map((value) => ({ text: JSON.stringify(value) ?? 'undefined', binary: false })),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((text) => ({ text, binary: false })) },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 200 })
          .map((bytes) => ({ text: Buffer.from(bytes).toString('latin1'), binary: true })),
      },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 10, max: 3_000 }).map((depth) => ({ text: deeplyNested(depth), binary: false })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          { text: JSON.stringify({ type: 'ping', pad: 'x'.repeat(70 * 1024) }), binary: false },
          { text: JSON.stringify({ type: 'message.send', conversationId, body: 'é'.repeat(3_000) }), binary: false },
        ),
      },
      {
        weight: 1,
        arbitrary: fc.uint8Array({ minLength: 1, maxLength: 50 }).map((bytes) => ({
          text: `\u0000INVALID${Buffer.from([0xc3, 0x28, ...bytes]).toString('latin1')}`,
          binary: false,
          raw: Buffer.from([0x7b, 0xc3, 0x28, ...bytes, 0x7d]),
        })),
      },
    );

    await fc.assert(
      fc.asyncProperty(frame, async (input: { text: string; binary: boolean; raw?: Buffer }) => {
        tried += 1;
        if (socket.readyState !== WebSocket.OPEN) socket = await open();
        const answer = await exchange(socket, input);
        if (answer.kind === 'closed') {
          closes += 1;
          expect(ABUSE_CLOSE_CODES, `close ${answer.code} after ${input.text.slice(0, 80)}`).to.include(answer.code);
          return;
        }
        answered += 1;
        const reply = answer.frame;
        expect(['ack', 'error'], JSON.stringify(reply).slice(0, 200)).to.include(reply.type);
        if (reply.type === 'error') {
          expect(ERROR_CODES).to.include(reply.code);
          expect(reply.code).to.not.equal('internal');
          expect(reply.message).to.be.a('string');
        }
      }),
      { numRuns: WS_INPUTS, endOnFailure: true },
    );
    socket.close();
    expect(answered).to.be.greaterThan(WS_INPUTS / 2);
    expect(closes).to.be.greaterThan(0);
    expect((await fetch(`${edge().url}/healthz`)).ok).to.equal(true);
    expect(edge().output()).to.not.match(/frame handling failed|Unhandled|uncaught/i);
    expect(edge().output()).to.not.match(/\n\s+at .+\(.+:\d+:\d+\)/);
    // After a full GC the heap is back near where it started: nothing the inputs did is retained.
    const heapAfter = await heapAfterGc(edge());
    expect(heapAfter - heapBefore, `heap ${heapBefore} → ${heapAfter} bytes`).to.be.lessThan(8 * 2 ** 20);
    recordHostileInput({
      surface:
        'WebSocket frames (mutated protocol frames, hostile JSON, deep nesting, oversize, binary, invalid UTF-8)',
      inputs: WS_INPUTS,
      answered,
      closedByServer: closes,
      heapDeltaBytes: heapAfter - heapBefore,
    });
  });

  it(`answers ${HTTP_INPUTS} generated requests to every HTTP endpoint without a 5xx, in the error format`, async () => {
    const endpoints: Array<{ method: string; url: () => string; body: fc.Arbitrary<unknown>; auth: boolean }> = [
      {
        method: 'POST',
        url: () => `${system.auth.url}/register`,
        body: mutatedRecord({
          login: fc.string({ maxLength: 40 }),
          password: fc.string({ maxLength: 300 }),
          displayName: fc.string({ maxLength: 80 }),
        }),
        auth: false,
      },
      {
        method: 'POST',
        url: () => `${system.auth.url}/login`,
        body: mutatedRecord({ login: fc.string({ maxLength: 40 }), password: fc.string({ maxLength: 300 }) }),
        auth: false,
      },
      {
        method: 'POST',
        url: () => `${system.auth.url}/token/refresh`,
        body: mutatedRecord({ refreshToken: fc.string({ maxLength: 250 }) }),
        auth: false,
      },
      { method: 'GET', url: () => `${system.auth.url}/me`, body: fc.constant(undefined), auth: true },
      {
        method: 'DELETE',
        url: () => `${system.auth.url}/me`,
        body: mutatedRecord({ password: fc.string({ maxLength: 50 }) }),
        auth: true,
      },
      { method: 'GET', url: () => `${system.auth.url}/users`, body: fc.constant(undefined), auth: true },
      { method: 'GET', url: () => `${edge().url}/conversations`, body: fc.constant(undefined), auth: true },
      {
        method: 'POST',
        url: () => `${edge().url}/conversations/direct`,
        body: mutatedRecord({ userId: fc.uuid(), login: fc.string({ maxLength: 40 }) }),
        auth: true,
      },
      {
        method: 'POST',
        url: () => `${edge().url}/conversations/group`,
        body: mutatedRecord({ title: fc.string({ maxLength: 120 }), members: fc.array(fc.uuid(), { maxLength: 3 }) }),
        auth: true,
      },
      {
        method: 'GET',
        url: () => `${edge().url}/conversations/${conversationId}/messages`,
        body: fc.constant(undefined),
        auth: true,
      },
    ];
    const query = fc.dictionary(
      fc.constantFrom('login', 'limit', 'afterSeq', 'beforeSeq', 'x', 'login[$ne]', '__proto__'),
      fc.string({ maxLength: 30 }),
      { maxKeys: 3 },
    );
    const authHeader = fc.oneof(
      fc.constant(`Bearer ${user.accessToken}`),
      fc.constant(`Bearer ${other.accessToken}`),
      fc.string({ maxLength: 100 }).map((s) => `Bearer ${s}`),
      fc.string({ maxLength: 60 }),
    );
    const rawBody = fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: 10, max: 2_000 }).map(deeplyNested) },
      { weight: 1, arbitrary: fc.constant(JSON.stringify({ login: 'x'.repeat(20_000) })) },
    );
    const input = fc.record({
      endpoint: fc.nat({ max: endpoints.length - 1 }),
      query,
      auth: authHeader,
      raw: rawBody,
      contentType: fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-16',
      ),
      seed: fc.nat(),
    });
    const bodies = endpoints.map((endpoint) => fc.sample(endpoint.body, { numRuns: 200 }));
    let answered = 0;

    await fc.assert(
      fc.asyncProperty(input, async (sample) => {
        tried += 1;
        const endpoint = endpoints[sample.endpoint];
        if (!endpoint) return;
        const url = new URL(endpoint.url());
        for (const [key, value] of Object.entries(sample.query)) url.searchParams.append(key, value);
        const body = bodies[sample.endpoint]?.[sample.seed % 200];
        const payload = sample.raw ?? (body === undefined ? undefined : JSON.stringify(body));
        const res = await request(endpoint.method, url.toString(), undefined, {
          rawBody: endpoint.method === 'GET' ? undefined : payload,
          headers: {
            ...(endpoint.auth ? { authorization: sample.auth } : {}),
            'content-type': sample.contentType,
            'x-forwarded-for': `10.9.${sample.seed % 250}.1`,
          },
        });
        expect(res.status, `${endpoint.method} ${url} → ${res.status} ${res.text.slice(0, 200)}`).to.be.oneOf([
          200, 201, 204, 400, 401, 403, 404, 409, 413, 429,
        ]);
        answered += 1;
        if (res.status >= 400) {
          expect(res.body?.error?.code, res.text.slice(0, 200)).to.be.oneOf(
            [...ERROR_CODES].filter((code) => code !== 'internal'),
          );
        }
      }),
      { numRuns: HTTP_INPUTS, endOnFailure: true },
    );
    for (const app of [system.auth, edge()]) {
      expect((await fetch(`${app.url}/healthz`)).ok).to.equal(true);
      expect(app.output()).to.not.match(/request failed|Unhandled|uncaught/i);
    }
    expect(tried).to.be.at.least(WS_INPUTS + HTTP_INPUTS);
    recordHostileInput({
      surface: `HTTP: ${endpoints.length} endpoints of auth and the edge (mutated bodies, hostile queries, forged Bearer values, wrong content types)`,
      inputs: HTTP_INPUTS,
      answered,
      closedByServer: 0,
      heapDeltaBytes: null,
    });
  });

  it('answers malformed request targets with 4xx in the error format, logged below error level', async () => {
    const targets: Array<{ app: AppProcess; head: string }> = [
      { app: edge(), head: 'GET /conversations/%E0%A4%A/messages HTTP/1.1' },
      {
        app: edge(),
        head: `GET /conversations/%E0%A4%A/messages HTTP/1.1\r\nAuthorization: Bearer ${user.accessToken}`,
      },
      { app: edge(), head: 'GET /%E0%A4%A HTTP/1.1' },
      { app: system.auth, head: `GET /users?login=%E0%A4%A HTTP/1.1\r\nAuthorization: Bearer ${user.accessToken}` },
      { app: system.auth, head: 'GET /%ZZ/%00 HTTP/1.1' },
      {
        app: edge(),
        head: 'GET http://[/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      },
      {
        app: edge(),
        head: 'GET //[::1/ws?access_token=%E0 HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      },
    ];
    const errorLinesBefore = [system.auth, edge()].map((app) => errorLines(app).length);
    for (const { app, head } of targets) {
      const answer = await rawRequest(app.port, `${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      expect(status, `${head.split('\r\n')[0]} → ${answer.slice(0, 120)}`).to.be.within(400, 499);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      expect(body.error.code).to.be.oneOf(['bad_request', 'not_found', 'unauthorized']);
    }
    expect([system.auth, edge()].map((app) => errorLines(app).length)).to.deep.equal(errorLinesBefore);
  });

  it('refuses names and titles that are not what they seem, and stores what it acks', async () => {
    const deceptive: Array<[string, string]> = [
      ['a lone surrogate', 'bad \ud800 name'],
      ['a right-to-left override', 'invoice\u202egnp.exe'],
      ['only a zero-width space', '\u200b'],
      ['a zero-width joiner between letters', 'ad\u200dmin'],
      ['a byte-order mark inside', 'ali\ufeffce'],
      ['a control character', 'tab\there'],
    ];
    const client = await ChatClient.connect(edge().url, user.accessToken);
    for (const [what, text] of deceptive) {
      const registered = await post(`${system.auth.url}/register`, {
        login: uniqueLogin('deceit'),
        password: PASSWORD,
        displayName: text,
      });
      expect(registered.status, `display name with ${what}`).to.equal(400);
      expect(registered.body.error.message, what).to.match(/displayName: must /);
      const group = await client
        .request('conversation.create_group', { title: text, members: [other.id] })
        .catch((error: unknown) => error);
      expect((group as FrameError).code, `title with ${what}`).to.equal('bad_request');
      expect((group as FrameError).frame.message, what).to.match(/title: must /);
    }
    const impostor = await post(`${system.auth.url}/register`, {
      login: uniqueLogin('deceit'),
      password: PASSWORD,
      displayName: `@${other.login}`,
    });
    expect(impostor.status).to.equal(400);
    expect(impostor.body.error.message).to.match(/must not start with @/);
    // Emoji built with joiners are names people really use.
    const family = 'Team 👩‍👩‍👧 🏳️‍🌈';
    const created = await client.request('conversation.create_group', { title: family, members: [other.id] });
    expect(created.conversation.title).to.equal(family);
    const listed = await client.request('conversation.list');
    expect(listed.conversations.find((c: { id: string }) => c.id === created.conversation.id)?.title).to.equal(family);
    client.close();
  });

  async function open(): Promise<WebSocket> {
    const ws = new WebSocket(`${edge().url.replace('http', 'ws')}/ws`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', function ready(data) {
        if (data.toString().startsWith('{"type":"session.ready"')) {
          ws.off('message', ready);
          resolve();
        }
      });
    });
    return ws;
  }
});

type Answer = { kind: 'frame'; frame: any } | { kind: 'closed'; code: number };

/** Sends one input and waits for the answer to it (the next ack or error), or the connection's close. */
function exchange(ws: WebSocket, input: { text: string; binary: boolean; raw?: Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no answer to ${input.text.slice(0, 100)}`));
    }, 10_000);
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString());
      if (frame.type !== 'ack' && frame.type !== 'error') return;
      cleanup();
      resolve({ kind: 'frame', frame });
    };
    const onClose = (code: number) => {
      cleanup();
      resolve({ kind: 'closed', code });
    };
    const cleanup = () => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      ws.off('error', onError);
    };
    const onError = () => undefined;
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
    // An invalid UTF-8 text frame: sent as raw bytes the client library would otherwise refuse.
    if (input.raw) ws.send(input.raw, { binary: false });
    else ws.send(input.binary ? Buffer.from(input.text, 'latin1') : input.text, { binary: input.binary });
  });
}

/** The app's heap after a full GC (forced through its inspector, on loopback). */
async function heapAfterGc(app: AppProcess): Promise<number> {
  await forceGc(app.output());
  return (await processMetrics(app.metricsUrl)).heapUsedBytes;
}

/** The process's log lines at error level or above (pino: 50 and 60). */
function errorLines(app: AppProcess): string[] {
  return app
    .output()
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line));
}

/** One request written byte for byte (fetch would normalise a malformed target), and the whole answer. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Written, not ended: a half-closed socket is closed by the server before a slow answer.
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${text.slice(0, 60)}`)));
  });
}
