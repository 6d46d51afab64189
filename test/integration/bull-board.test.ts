import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Queue } from 'bullmq';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { type AppProcess, freePort, startApp } from '../support/app-process.js';
import { isolatedVhost } from '../support/private-services.js';
import { REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';

const TOKEN = 'board-token-for-the-tests-0123456789';
const USER = 'operator';
const PASSWORD = 'board-password-for-the-tests';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: any;
}

/** A request with any `Host` header (fetch would send its own), over a real socket. */
function send(
  method: string,
  url: string,
  options: { authorization?: string; host?: string; body?: unknown } = {},
): Promise<Answer> {
  const target = new URL(url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { host: options.host ?? target.host };
  if (options.authorization) headers.authorization = options.authorization;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * The notifier's Bull Board (issue 10, item 5): offered only with credentials, behind a login
 * and a Host check, read-only unless configured, while /healthz and /readyz stay open.
 */
describe('notifier queue board', function () {
  this.timeout(60_000);
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let unconfigured: AppProcess;
  let guarded: AppProcess;
  let configured: AppProcess;
  let configuredPort: number;
  let redis: Redis;
  let guardedQueue: Queue;

  before(async () => {
    vhost = await isolatedVhost('board');
    // A Redis prefix each: writes through one board must not reach another's queue.
    const common = (tag: string) => ({ AMQP_URL: vhost.amqpUrl, REDIS_PREFIX: `${REDIS_PREFIX}-board-${tag}` });
    configuredPort = await freePort();
    [unconfigured, guarded, configured] = await Promise.all([
      startApp('notifier', common('off'), { name: 'notifier-no-board' }),
      startApp(
        'notifier',
        {
          ...common('guarded'),
          NOTIFIER_BOARD_TOKEN: TOKEN,
          NOTIFIER_BOARD_USER: USER,
          NOTIFIER_BOARD_PASSWORD: PASSWORD,
        },
        { name: 'notifier-guarded-board' },
      ),
      startApp(
        'notifier',
        {
          ...common('configured'),
          NOTIFIER_BOARD_USER: USER,
          NOTIFIER_BOARD_PASSWORD: PASSWORD,
          NOTIFIER_BOARD_READ_WRITE: 'true',
          NOTIFIER_BOARD_ALLOWED_HOSTS: `board.internal.example, localhost:${configuredPort}`,
        },
        { name: 'notifier-configured-board', port: configuredPort },
      ),
    ]);
    // The guarded board's queue, seen from outside: a job parked in it for the write attempts.
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    guardedQueue = new Queue('notifications', { connection: redis, prefix: `${REDIS_PREFIX}-board-guarded:bull` });
  });

  after(async () => {
    await guardedQueue?.obliterate({ force: true });
    await guardedQueue?.close();
    redis?.disconnect();
    await Promise.all([unconfigured?.stop(), guarded?.stop(), configured?.stop()]);
    await vhost?.remove();
  });

  it('is not offered without credentials: /queues is a 404, /healthz and /readyz answer', async () => {
    for (const path of ['/queues', '/queues/api/queues']) {
      const answer = await send('GET', `${unconfigured.url}${path}`);
      expect(answer.status, path).to.equal(404);
      expect(answer.body?.error?.code, path).to.equal('not_found');
    }
    expect((await send('GET', `${unconfigured.url}/healthz`)).status).to.equal(200);
    expect((await send('GET', `${unconfigured.url}/readyz`)).status).to.equal(200);
  });

  it('answers 401 with a Basic challenge, in the JSON error format, without the right credentials', async () => {
    const refused = [
      undefined,
      bearer('board-token-for-the-tests-0123456780'),
      bearer(''),
      basic(USER, 'board-password-for-the-test'),
      basic('operators', PASSWORD),
      basic(USER, TOKEN),
      'Basic !!!not-base64',
      `Basic ${Buffer.from(`${USER}${PASSWORD}`).toString('base64')}`,
      TOKEN,
    ];
    for (const authorization of refused) {
      for (const path of ['/queues', '/queues/api/queues', '/queues/api/queues/notifications/pause']) {
        const answer = await send('GET', `${guarded.url}${path}`, { authorization });
        expect(answer.status, `${authorization} ${path}`).to.equal(401);
        expect(answer.body, `${authorization} ${path}`).to.deep.include({
          error: { code: 'unauthorized', message: 'chat notifier queue board: credentials required' },
        });
      }
    }
    const challenge = (await send('GET', `${guarded.url}/queues`)).headers['www-authenticate'];
    expect(challenge).to.match(/^Basic realm="chat notifier queue board", charset="UTF-8", Bearer realm=/);
    // Probes need no login.
    expect((await send('GET', `${guarded.url}/healthz`)).status).to.equal(200);
    expect((await send('GET', `${guarded.url}/readyz`)).status).to.equal(200);
  });

  it('shows the queue with the right bearer token or basic login', async () => {
    for (const authorization of [bearer(TOKEN), basic(USER, PASSWORD)]) {
      const page = await send('GET', `${guarded.url}/queues`, { authorization });
      expect(page.status).to.equal(200);
      expect(page.text).to.include('<html');
      const queues = await send('GET', `${guarded.url}/queues/api/queues`, { authorization });
      expect(queues.status).to.equal(200);
      expect(queues.body.queues.map((queue: { name: string }) => queue.name)).to.deep.equal(['notifications']);
    }
  });

  it('answers only to the loopback names with its port by default, and to the configured hosts when set', async () => {
    const authorization = bearer(TOKEN);
    const port = guarded.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
      expect((await send('GET', `${guarded.url}/queues/api/queues`, { authorization, host })).status, host).to.equal(
        200,
      );
    }
    for (const host of [`rebound.example:${port}`, 'rebound.example', 'localhost', `localhost:${port + 1}`, 'x']) {
      const answer = await send('GET', `${guarded.url}/queues/api/queues`, { authorization, host });
      expect(answer.status, host).to.equal(403);
      expect(answer.body, host).to.deep.equal({
        error: { code: 'forbidden', message: 'the queue board answers only to its configured host names' },
      });
      // Checked before the login: a rebinding page learns nothing about it.
      expect((await send('GET', `${guarded.url}/queues`, { host })).status, host).to.equal(403);
      expect((await send('GET', `${guarded.url}/healthz`, { host })).status, host).to.equal(200);
    }

    const login = basic(USER, PASSWORD);
    for (const host of ['board.internal.example', `localhost:${configuredPort}`]) {
      expect((await send('GET', `${configured.url}/queues`, { authorization: login, host })).status, host).to.equal(
        200,
      );
    }
    const loopback = await send('GET', `${configured.url}/queues`, { authorization: login });
    expect(loopback.status, 'a name left out of NOTIFIER_BOARD_ALLOWED_HOSTS').to.equal(403);
  });

  it('refuses every write action while read-only, the default', async () => {
    await guardedQueue.add('notify', { userId: 'nobody', conversationId: 'nowhere' }, { delay: 3_600_000 });
    const authorization = bearer(TOKEN);
    const writes: Array<[string, string, unknown?]> = [
      ['PUT', '/api/queues/pause'],
      ['PUT', '/api/queues/notifications/pause'],
      ['PUT', '/api/queues/notifications/promote'],
      ['PUT', '/api/queues/notifications/clean/delayed'],
      ['PUT', '/api/queues/notifications/retry/failed'],
      ['PUT', '/api/queues/notifications/empty'],
      ['PUT', '/api/queues/notifications/obliterate', { force: true }],
      ['PUT', '/api/queues/notifications/concurrency', { concurrency: 1 }],
      ['POST', '/api/queues/notifications/add', { name: 'notify', data: { userId: 'u', conversationId: 'c' } }],
      ['DELETE', '/api/queues/notifications'],
    ];
    for (const [method, path, body] of writes) {
      const answer = await send(method, `${guarded.url}/queues${path}`, { authorization, body });
      expect(answer.status, `${method} ${path}`).to.equal(403);
      expect(answer.body, `${method} ${path}`).to.deep.equal({
        error: { code: 'forbidden', message: 'the queue board is read-only (NOTIFIER_BOARD_READ_WRITE is not set)' },
      });
    }
    const [queue] = (await send('GET', `${guarded.url}/queues/api/queues`, { authorization })).body.queues;
    expect(queue).to.deep.include({ name: 'notifications', isPaused: false, readOnlyMode: true, allowRetries: false });
    // The parked job is still there, still delayed, and nothing was added.
    expect(queue.counts).to.include({ delayed: 1, waiting: 0, active: 0, completed: 0, failed: 0 });
    expect(await guardedQueue.isPaused()).to.equal(false);
  });

  it('allows the write actions with NOTIFIER_BOARD_READ_WRITE=true', async () => {
    const options = { authorization: basic(USER, PASSWORD), host: 'board.internal.example' };
    const board = `${configured.url}/queues/api/queues`;
    expect((await send('PUT', `${board}/notifications/pause`, options)).status).to.equal(200);
    const [paused] = (await send('GET', board, options)).body.queues;
    expect(paused).to.deep.include({ isPaused: true, readOnlyMode: false });
    expect((await send('PUT', `${board}/notifications/resume`, options)).status).to.equal(200);
    expect((await send('GET', board, options)).body.queues[0].isPaused).to.equal(false);
  });

  it('blanks the stack trace of a job stored with one (before stackTraceLimit: 0, say)', async () => {
    const job = await guardedQueue.add('notify', { userId: 'traced', conversationId: 'old' }, { delay: 3_600_000 });
    const trace =
      'WebhookError: webhook answered 500\n    at WebhookTransport.send (/srv/chat/apps/notifier/dist/x.js:49:19)';
    await redis.hset(
      `${REDIS_PREFIX}-board-guarded:bull:notifications:${job.id}`,
      'stacktrace',
      JSON.stringify([trace]),
    );
    expect((await guardedQueue.getJob(job.id ?? ''))?.stacktrace).to.deep.equal([trace]);

    const authorization = bearer(TOKEN);
    const list = await send('GET', `${guarded.url}/queues/api/queues?activeQueue=notifications&status=delayed`, {
      authorization,
    });
    const listed = list.body.queues[0].jobs.find((candidate: { id: string }) => candidate.id === job.id);
    expect(listed?.stacktrace).to.deep.equal([]);
    const single = await send('GET', `${guarded.url}/queues/api/queues/notifications/${job.id}`, { authorization });
    expect(single.status).to.equal(200);
    expect(single.body.job.stacktrace).to.deep.equal([]);
    for (const answer of [list, single]) expect(answer.text).not.to.include('/srv/chat');
  });
});
