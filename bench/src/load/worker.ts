import { parentPort } from 'node:worker_threads';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { nowMs } from '../stats.js';
import type {
  FanoutResult,
  IdleResult,
  PairSpec,
  RelayResult,
  StepResult,
  Transport,
  WorkerCommand,
  WorkerReply,
} from './protocol.js';

/**
 * A load-generator thread. It holds real client connections (ws, or socket.io-client for the
 * peer) and measures in its own clock: each pair's sender and receiver live in the same thread,
 * so a latency is one clock's difference. The main thread only hands out work and collects.
 */

const BODY =
  'The quick brown fox jumps over the lazy dog while the chat pipeline carries it from one edge to the other. '
    .repeat(2)
    .slice(0, 160);
const MAX_SEND_BUFFER_BYTES = 1 << 20;

interface Sender {
  send(conversationId: string, clientMsgId: string, body: string): void;
}

type Handlers = {
  onAck: (id: string) => void;
  onError: (id: string, code: string) => void;
  onMessage: (id: string) => void;
};

const sockets: Array<{ close(): void }> = [];
let handlers: Handlers = { onAck: () => undefined, onError: () => undefined, onMessage: () => undefined };
let senders: Array<{ client: Sender; conversationId: string }> = [];
let fanout: { sender: Sender; conversationId: string; members: number } | undefined;

/** `receives`: whether this connection's pushes count (a sender's echo of its own message does not). */
async function connectChat(baseUrl: string, token: string, receives = true): Promise<Sender> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  sockets.push({ close: () => ws.terminate() });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('message', (data) => {
      const text = data.toString();
      // Cheap dispatch on the type prefix: JSON.parse only what is measured.
      if (text.startsWith('{"type":"message.new"')) {
        if (receives) handlers.onMessage(JSON.parse(text).message.clientMsgId);
      } else if (text.startsWith('{"type":"ack"')) {
        handlers.onAck(String(JSON.parse(text).ref));
      } else if (text.startsWith('{"type":"error"')) {
        const frame = JSON.parse(text);
        handlers.onError(String(frame.ref), frame.code);
      } else if (text.startsWith('{"type":"session.ready"')) {
        resolve();
      }
    });
  });
  return {
    send(conversationId, clientMsgId, body) {
      ws.send(JSON.stringify({ type: 'message.send', ref: clientMsgId, conversationId, body, clientMsgId }));
    },
  };
}

async function connectSocketIo(baseUrl: string, room: string, receives = true): Promise<Sender> {
  const socket: Socket = io(baseUrl, { transports: ['websocket'], reconnection: false });
  sockets.push({ close: () => socket.disconnect() });
  if (receives) socket.on('message', (payload: { clientMsgId: string }) => handlers.onMessage(payload.clientMsgId));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () => socket.emit('join', room, () => resolve()));
  });
  return {
    send(conversationId, clientMsgId, body) {
      socket.emit('send', { room: conversationId, clientMsgId, body }, (ok: boolean) =>
        ok ? handlers.onAck(clientMsgId) : handlers.onError(clientMsgId, 'refused'),
      );
    },
  };
}

function connect(transport: Transport, url: string, token: string, room: string, receives = true): Promise<Sender> {
  return transport === 'chat' ? connectChat(url, token, receives) : connectSocketIo(url, room, receives);
}

async function setupPairs(command: Extract<WorkerCommand, { kind: 'setup-pairs' }>): Promise<void> {
  senders = [];
  for (const pair of command.pairs as PairSpec[]) {
    await connect(command.transport, command.receiveUrl, pair.receiverToken, pair.conversationId);
    const client = await connect(command.transport, command.sendUrl, pair.senderToken, pair.conversationId, false);
    senders.push({ client, conversationId: pair.conversationId });
  }
}

/** Open loop: sends at `rate` whatever the answers, then waits for the stragglers. */
async function step(command: Extract<WorkerCommand, { kind: 'step' }>): Promise<StepResult> {
  const pending = new Map<string, number>();
  const seen = new Set<string>();
  const errors: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let sent = 0;
  let acked = 0;
  let received = 0;
  let duplicates = 0;
  let lastReceivedAt = 0;
  handlers = {
    onAck: () => {
      acked += 1;
    },
    onError: (id, code) => {
      errors[code] = (errors[code] ?? 0) + 1;
      pending.delete(id);
    },
    onMessage: (id) => {
      if (!id.startsWith(command.tag)) return;
      const sentAt = pending.get(id);
      if (sentAt === undefined) {
        if (seen.has(id)) duplicates += 1;
        return;
      }
      const at = nowMs();
      pending.delete(id);
      seen.add(id);
      latenciesMs.push(at - sentAt);
      received += 1;
      lastReceivedAt = at;
    },
  };
  const startedAt = nowMs();
  const perMs = command.rate / 1000;
  while (nowMs() - startedAt < command.durationMs) {
    const due = Math.floor((nowMs() - startedAt) * perMs) - sent;
    for (let i = 0; i < due; i += 1) {
      const target = senders[sent % senders.length];
      if (!target) break;
      const id = `${command.tag}-${sent}`;
      pending.set(id, nowMs());
      target.client.send(target.conversationId, id, BODY);
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const graceEnd = nowMs() + command.graceMs;
  while (pending.size > 0 && nowMs() < graceEnd) await new Promise((resolve) => setTimeout(resolve, 20));
  return {
    kind: 'step-result',
    sent,
    acked,
    errors,
    received,
    duplicates,
    missing: pending.size,
    latenciesMs,
    startedAt,
    lastReceivedAt,
  };
}

async function setupFanout(command: Extract<WorkerCommand, { kind: 'setup-fanout' }>): Promise<void> {
  const url = (index: number) => command.urls[index] ?? '';
  for (let i = 0; i < command.members.length; i += 20) {
    await Promise.all(
      command.members
        .slice(i, i + 20)
        .map((member) => connect(command.transport, url(member.url), member.token, command.conversationId)),
    );
  }
  const sender = await connect(
    command.transport,
    url(command.sender.url),
    command.sender.token,
    command.conversationId,
  );
  fanout = { sender, conversationId: command.conversationId, members: command.members.length };
}

/** One message at a time; for each, the time until the first and the last member had it. */
async function runFanout(command: Extract<WorkerCommand, { kind: 'fanout' }>): Promise<FanoutResult> {
  const result: FanoutResult = { kind: 'fanout-result', lastMemberMs: [], firstMemberMs: [], missing: 0 };
  if (!fanout) throw new Error('fanout not set up');
  const { sender, conversationId, members } = fanout;
  for (let i = 0; i < command.messages; i += 1) {
    const id = `fan-${Date.now()}-${i}`;
    let count = 0;
    let first = 0;
    let last = 0;
    const sentAt = nowMs();
    const done = new Promise<void>((resolve) => {
      handlers = {
        onAck: () => undefined,
        onError: () => resolve(),
        onMessage: (received) => {
          if (received !== id) return;
          const at = nowMs();
          count += 1;
          if (count === 1) first = at;
          last = at;
          if (count === members) resolve();
        },
      };
    });
    sender.send(conversationId, id, BODY);
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, command.graceMs))]);
    if (count < members) result.missing += members - count;
    if (count > 0) {
      result.firstMemberMs.push(first - sentAt);
      result.lastMemberMs.push(last - sentAt);
    }
    await new Promise((resolve) => setTimeout(resolve, command.intervalMs));
  }
  return result;
}

async function setupIdle(command: Extract<WorkerCommand, { kind: 'setup-idle' }>): Promise<IdleResult> {
  const startedAt = nowMs();
  let connected = 0;
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const lane = async () => {
    while (next < command.tokens.length) {
      const token = command.tokens[next++] ?? '';
      try {
        await connectChat(command.url, token);
        connected += 1;
      } catch (error) {
        failed += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, lane));
  return {
    kind: 'idle-result',
    connected,
    failed,
    ...(firstError ? { firstError } : {}),
    elapsedMs: nowMs() - startedAt,
  };
}

/** The bare-ws baseline: each sender writes as fast as its socket takes, the server relays. */
async function relay(command: Extract<WorkerCommand, { kind: 'relay' }>): Promise<RelayResult> {
  const base = command.url.replace(/^http/, 'ws');
  let received = 0;
  let sent = 0;
  const latenciesMs: number[] = [];
  const pairs = await Promise.all(
    Array.from({ length: command.pairs }, async (_, pair) => {
      const receiver = new WebSocket(`${base}/?role=receive&pair=${pair}`, { perMessageDeflate: false });
      receiver.on('message', (data) => {
        received += 1;
        if (received % 16 === 0) latenciesMs.push(nowMs() - JSON.parse(data.toString()).t);
      });
      await new Promise((resolve) => receiver.once('open', resolve));
      const sender = new WebSocket(`${base}/?role=send&pair=${pair}`, { perMessageDeflate: false });
      await new Promise((resolve) => sender.once('open', resolve));
      sockets.push({ close: () => receiver.terminate() }, { close: () => sender.terminate() });
      return sender;
    }),
  );
  const startedAt = nowMs();
  while (nowMs() - startedAt < command.durationMs) {
    for (const sender of pairs) {
      while (sender.bufferedAmount < MAX_SEND_BUFFER_BYTES / 4) {
        sender.send(JSON.stringify({ t: nowMs(), body: BODY, n: sent }));
        sent += 1;
        if (sent % 64 === 0) break;
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsedMs = nowMs() - startedAt;
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { kind: 'relay-result', sent, received, elapsedMs, latenciesMs };
}

async function handle(command: WorkerCommand): Promise<WorkerReply> {
  switch (command.kind) {
    case 'setup-pairs':
      await setupPairs(command);
      return { kind: 'ready' };
    case 'step':
      return step(command);
    case 'setup-fanout':
      await setupFanout(command);
      return { kind: 'ready' };
    case 'fanout':
      return runFanout(command);
    case 'setup-idle':
      return setupIdle(command);
    case 'relay':
      return relay(command);
    case 'close':
      for (const socket of sockets.splice(0)) socket.close();
      senders = [];
      fanout = undefined;
      return { kind: 'closed' };
  }
}

parentPort?.on('message', (command: WorkerCommand) => {
  handle(command).then(
    (reply) => parentPort?.postMessage(reply),
    (error: unknown) =>
      parentPort?.postMessage({ kind: 'ready', error: (error as Error).message } satisfies WorkerReply),
  );
});
