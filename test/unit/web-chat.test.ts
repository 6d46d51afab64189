import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, webEnv } from '@chat/config';
import type { CurrentMessage } from '@chat/contracts';
import { expect } from 'chai';
import { MessageWindow, PAGE_SIZE } from '../../apps/web/page/src/message-window.js';
import { edgeOrder } from '../../apps/web/page/src/page-config.js';
import { receiptStatus } from '../../apps/web/page/src/receipt-status.js';
import { contentSecurityPolicy, loadSite, siteHandler } from '../../apps/web/src/static-site.js';

function messages(fromSeq: number, toSeq: number, tag = 'held'): CurrentMessage[] {
  return Array.from({ length: toSeq - fromSeq + 1 }, (_, i) => ({
    id: `m${fromSeq + i}`,
    conversationId: 'c',
    seq: fromSeq + i,
    senderId: 'u',
    body: `${tag} ${fromSeq + i}`,
    clientMsgId: `k${fromSeq + i}`,
    createdAt: new Date(0).toISOString(),
    reactions: [],
  }));
}

describe('web chat page: the message window', () => {
  it('shows the latest page, then a page further back per scroll, until the first message', async () => {
    const held = messages(1, 70);
    const window = new MessageWindow();
    expect(window.visible(held).map((m) => m.seq)).to.deep.equal(held.slice(-PAGE_SIZE).map((m) => m.seq));
    const asked: Array<number | undefined> = [];
    const server = async (beforeSeq: number | undefined) => {
      asked.push(beforeSeq);
      const upTo = (beforeSeq ?? 71) - 1;
      return messages(Math.max(1, upTo - PAGE_SIZE + 1), upTo, 'fetched');
    };
    expect(await window.loadOlder(held, server)).to.equal(true);
    expect(window.visible(held)).to.have.length(60);
    await window.loadOlder(held, server);
    expect(window.visible(held)).to.have.length(70);
    expect(window.atStart).to.equal(true);
    expect(await window.loadOlder(held, server), 'nothing more to ask').to.equal(false);
    expect(asked).to.deep.equal([41, 11]);
    // The client's own copy wins where it holds the message (it is live).
    expect(window.visible(held)[0]?.body).to.equal('held 1');
  });

  it('fills in from the server what the client does not hold yet, and follows new messages', async () => {
    const window = new MessageWindow();
    expect(window.visible([])).to.deep.equal([]);
    await window.loadOlder([], async (beforeSeq) => {
      expect(beforeSeq, 'nothing shown: the latest page').to.equal(undefined);
      return messages(1, 5, 'fetched');
    });
    const held = messages(4, 7);
    expect(window.visible(held).map((m) => m.body)).to.deep.equal([
      'fetched 1',
      'fetched 2',
      'fetched 3',
      'held 4',
      'held 5',
      'held 6',
      'held 7',
    ]);
    expect(window.atStart).to.equal(true);
  });

  it('asks again after a failed page', async () => {
    const window = new MessageWindow();
    const failing = async (): Promise<CurrentMessage[]> => {
      throw new Error('unavailable');
    };
    let failure: unknown;
    await window.loadOlder(messages(40, 41), failing).catch((error: unknown) => {
      failure = error;
    });
    expect(failure).to.be.instanceOf(Error);
    expect(window.loading).to.equal(false);
    expect(await window.loadOlder(messages(40, 41), async () => messages(10, 39))).to.equal(true);
  });
});

describe('web chat page: ticks and edges', () => {
  const receipts = new Map([
    ['bob', { deliveredSeq: 5, readSeq: 3 }],
    ['carol', { deliveredSeq: 4, readSeq: 4 }],
  ]);

  it('reads ticks from every other member: read by all, delivered to all, else sent', () => {
    expect(receiptStatus(3, ['bob', 'carol'], receipts)).to.equal('read');
    expect(receiptStatus(4, ['bob', 'carol'], receipts)).to.equal('delivered');
    expect(receiptStatus(5, ['bob', 'carol'], receipts)).to.equal('sent');
    expect(receiptStatus(5, ['bob'], receipts)).to.equal('delivered');
    expect(receiptStatus(1, ['dave'], receipts), 'no receipt known').to.equal('sent');
    expect(receiptStatus(1, [], receipts), 'nobody else').to.equal('sent');
  });

  it('starts on the edge ?edge=N names, then the others in turn', () => {
    const urls = ['ws://a/ws', 'ws://b/ws', 'ws://c/ws'];
    expect(edgeOrder(urls, '2')).to.deep.equal(['ws://b/ws', 'ws://c/ws', 'ws://a/ws']);
    expect(edgeOrder(urls, '1')).to.deep.equal(urls);
    for (const wrong of [null, '0', '4', 'x', '1.5']) expect(edgeOrder(urls, wrong), String(wrong)).to.deep.equal(urls);
  });
});

describe('web chat server', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const page = { authUrl: 'http://127.0.0.1:8080', edgeUrls: ['ws://127.0.0.1:8081/ws', 'ws://127.0.0.1:8082/ws'] };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'web-site-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Chat</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    server = createServer(siteHandler({ files: loadSite(dir), page }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the built files, / as index.html, and config.json from its configuration', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).to.equal(200);
    expect(index.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).to.equal('no-cache');
    expect(await index.text()).to.include('<title>Chat</title>');
    const asset = await fetch(`${base}/assets/index-abc123.js`);
    expect(asset.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).to.include('immutable');
    const config = await fetch(`${base}/config.json?x=1`);
    expect(config.headers.get('cache-control')).to.equal('no-store');
    expect(await config.json()).to.deep.equal(page);
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
  });

  it('serves nothing but those files: no path reaches the disk', async () => {
    for (const path of ['/../index.html', '/%2e%2e/%2e%2e/etc/passwd', '/assets/', '/index.htm', '/.env']) {
      const answer = await fetch(`${base}${path}`);
      expect(answer.status, path).to.be.oneOf([200, 404]);
      if (answer.status === 200) expect(await answer.text(), path).to.include('<title>Chat</title>');
    }
    const missing = await fetch(`${base}/nothing.js`);
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).to.equal('not_found');
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
  });

  it('lets the page reach only its own origin, auth and the edges', async () => {
    const answer = await fetch(`${base}/`);
    const policy = answer.headers.get('content-security-policy') ?? '';
    expect(policy).to.equal(contentSecurityPolicy(page));
    expect(policy).to.include("default-src 'self'");
    expect(policy).to.include("connect-src 'self' http://127.0.0.1:8080 ws://127.0.0.1:8081 ws://127.0.0.1:8082");
    expect(policy).to.include("frame-ancestors 'none'");
    expect(answer.headers.get('x-content-type-options')).to.equal('nosniff');
  });

  it('refuses to start without a built page, saying how to build it', () => {
    expect(() => loadSite(join(dir, 'nowhere'))).to.throw(/npm run build/);
  });

  it('reads where auth and the edges are from the environment, and refuses anything but ws URLs for edges', () => {
    const config = loadConfig(webEnv, {
      WEB_AUTH_URL: 'https://chat.example/auth/',
      WEB_EDGE_URLS: 'wss://chat.example/ws,wss://edge2.chat.example/ws',
    });
    expect(config.page).to.deep.equal({
      authUrl: 'https://chat.example/auth',
      edgeUrls: ['wss://chat.example/ws', 'wss://edge2.chat.example/ws'],
    });
    expect(config.http.port).to.equal(8088);
    expect(loadConfig(webEnv, {}).page.edgeUrls).to.have.length(2);
    expect(() => loadConfig(webEnv, { WEB_EDGE_URLS: 'http://chat.example/ws' })).to.throw(/WEB_EDGE_URLS/);
  });
});
