import { setTimeout as sleep } from 'node:timers/promises';
import { ChatClient, type SentMessage } from '@chat/client';
import type { SessionResyncFrame } from '@chat/contracts';
import { expect } from 'chai';
import WebSocket from 'ws';
import { type AppProcess, startApp } from '../support/app-process.js';
import { management } from '../support/management-api.js';
import { isolatedVhost } from '../support/private-services.js';
import { fullHistory, sdkClient, waitUntil, wsUrl } from '../support/sdk-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { registerUser } from '../support/users.js';
import { eventually } from '../support/wait.js';

const MISSED = 6;

/**
 * One edge loses its broker link while its sockets stay open. Its deliveries queue is exclusive,
 * so it went with the connection, and what was fanned out meanwhile never reaches the node. A
 * client that only listens must still end up with every message: the edge tells its sockets to
 * resync when the queue is back, and the SDK resumes from the log.
 */
describe('an edge that loses its broker link tells its sockets to resync', function () {
  this.timeout(120_000);
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let proxy: TcpProxy;
  let cutEdge: AppProcess;
  const clients: ChatClient[] = [];
  const nodeId = `link-${process.pid}`;

  before(async () => {
    vhost = await isolatedVhost('resync');
    system = await startSystem({ edges: 1, env: { AMQP_URL: vhost.amqpUrl } });
    const broker = new URL(vhost.amqpUrl);
    proxy = await startTcpProxy(Number(broker.port || 5672), broker.hostname);
    broker.port = String(proxy.port);
    cutEdge = await startApp(
      'ws-edge',
      { AMQP_URL: broker.toString(), AUTH_JWKS_URL: `${system.auth.url}/.well-known/jwks.json`, NODE_ID: nodeId },
      { name: 'ws-edge-cut' },
    );
  });

  after(async () => {
    for (const client of clients) client.close();
    await cutEdge?.stop();
    await proxy?.stop();
    await system?.stop();
    await vhost?.remove();
  });

  const edgeQueueExists = async () => {
    const queues = (await management('GET', `/queues/${encodeURIComponent(vhost.name)}`)) as Array<{ name: string }>;
    return queues.some((queue) => queue.name.includes(nodeId));
  };

  it('a listener on that edge gets every message sent while the link was down, once, in order, equal to history', async () => {
    const [aliceUser, bobUser] = await Promise.all([
      registerUser(system.auth.url, 'linka'),
      registerUser(system.auth.url, 'linkb'),
    ]);
    const alice = sdkClient(system, [0]);
    const bob = new ChatClient({
      authUrl: system.auth.url,
      edgeUrls: [wsUrl(cutEdge.url)],
      WebSocket,
      reconnect: { initialDelayMs: 100, maxDelayMs: 2_000 },
    });
    clients.push(alice, bob);
    alice.useSession(aliceUser);
    bob.useSession(bobUser);
    await Promise.all([alice.connect(), bob.connect()]);
    const resyncs: SessionResyncFrame[] = [];
    bob.on('resync', (frame) => resyncs.push(frame));
    const bobNew = new Map<string, number>();
    bob.on('message.new', (frame) => bobNew.set(frame.message.id, (bobNew.get(frame.message.id) ?? 0) + 1));
    const states: string[] = [];
    bob.on('state', (state) => states.push(state));

    const conversationId = (await alice.openDirect({ userId: bobUser.id })).id;
    const first = await alice.send(conversationId, 'before the cut');
    await waitUntil('bob holds the first message', () => bobNew.has(first.messageId));

    proxy.cut();
    await eventually('the edge queue is gone with its connection', async () => !(await edgeQueueExists()));
    const missed: SentMessage[] = [];
    for (let i = 0; i < MISSED; i += 1) missed.push(await alice.send(conversationId, `while cut ${i}`));
    // Stored and fanned out while the edge had no queue: nothing can reach bob now.
    await sleep(1_000);
    expect(missed.filter((sent) => bobNew.has(sent.messageId))).to.deep.equal([]);

    proxy.restore();
    await waitUntil('bob holds every message', () => missed.every((sent) => bobNew.has(sent.messageId)), 30_000);
    expect(resyncs).to.deep.equal([{ type: 'session.resync', reason: 'deliveries_interrupted' }]);
    expect(states, 'the socket never dropped').to.deep.equal([]);
    expect([...bobNew.values()].every((count) => count === 1)).to.equal(true);
    const held = bob.conversation(conversationId);
    const history = await fullHistory(alice, conversationId);
    expect(history.map((message) => message.id)).to.deep.equal([first, ...missed].map((sent) => sent.messageId));
    expect(held?.messages().map((message) => message.id)).to.deep.equal(history.map((message) => message.id));
    expect(held?.messages().map((message) => message.seq)).to.deep.equal(history.map((message) => message.seq));
  });
});
