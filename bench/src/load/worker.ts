import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';
import { BODY } from '../baselines/message-shape.js';
import { nowMs } from '../stats.js';
import { closeAll, connect, connectChat, inLanes, type Sender, setHandlers } from './clients.js';
import { MixedLoad } from './mixed-load.js';
import type { FanoutResult, IdleResult, RelayResult, StepResult, WorkerCommand, WorkerReply } from './protocol.js';

/**
 * A load-generator thread. It holds real client connections (ws, or socket.io-client for the
 * peer) and measures in its own clock: each pair's sender and receiver live in the same thread,
 * so a latency is one clock's difference. The main thread only hands out work and collects.
 */

const MAX_SEND_BUFFER_BYTES = 1 << 20;
/** Pairs connected at once during setup: enough to hide the edges' session setup, few enough not to swamp them. */
const SETUP_LANES = 16;

const relaySockets: Array<{ close(): void }> = [];
let senders: Array<{ client: Sender; conversationId: string }> = [];
let fanout: { sender: Sender; conversationId: string; members: number } | undefined;

async function setupPairs(command: Extract<WorkerCommand, { kind: 'setup-pairs' }>): Promise<void> {
  const nodes = command.urls.length;
  const connected = new Array<{ client: Sender; conversationId: string }>(command.pairs.length);
  await inLanes([...command.pairs.entries()], SETUP_LANES, async ([index, pair]) => {
    const sendUrl = command.urls[pair.sendNode % nodes] ?? '';
    const receiveUrl = command.urls[(pair.sendNode + 1) % nodes] ?? '';
    await connect(command.transport, receiveUrl, pair.receiverToken, pair.conversationId);
    const client = await connect(command.transport, sendUrl, pair.senderToken, pair.conversationId, false);
    connected[index] = { client, conversationId: pair.conversationId };
  });
  senders = connected;
}

/** Open loop: sends at `rate` whatever the answers, then waits for the stragglers. */
async function step(command: Extract<WorkerCommand, { kind: 'step' }>): Promise<StepResult> {
  const pending = new Map<string, number>();
  const seen = new Set<string>();
  const errors: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const split: StepResult['split'] = { toAcceptedMs: [], acceptedToPushMs: [] };
  const mixedLoad = new MixedLoad(command.mixedShare ?? 0);
  const mixed: StepResult['mixed'] = { sent: 0, acked: 0, errors: {}, ackLatenciesMs: [] };
  const mixedPending = new Map<string, number>();
  const mixedPrefix = `${command.tag}-x-`;
  let sent = 0;
  let acked = 0;
  let received = 0;
  let duplicates = 0;
  let lastReceivedAt = 0;
  setHandlers({
    onAck: (ref, messageId) => {
      if (ref.startsWith(mixedPrefix)) {
        const sentAt = mixedPending.get(ref);
        mixedPending.delete(ref);
        mixed.acked += 1;
        if (sentAt !== undefined) mixed.ackLatenciesMs.push(nowMs() - sentAt);
        return;
      }
      acked += 1;
      // The ref is `<tag>-<n>`, sent by sender n mod senders: the acked message becomes its next target.
      if (mixedLoad.enabled && messageId && ref.startsWith(command.tag))
        mixedLoad.acked(Number(ref.slice(command.tag.length + 1)) % senders.length, messageId);
    },
    onError: (ref, code) => {
      if (mixedPending.delete(ref)) {
        mixed.errors[code] = (mixed.errors[code] ?? 0) + 1;
        return;
      }
      errors[code] = (errors[code] ?? 0) + 1;
      pending.delete(ref);
    },
    onMessage: (id, createdAt) => {
      if (!id.startsWith(command.tag)) return;
      const sentAt = pending.get(id);
      if (sentAt === undefined) {
        if (seen.has(id)) duplicates += 1;
        return;
      }
      const at = nowMs();
      const acceptedAt = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
      if (Number.isFinite(acceptedAt)) {
        // The edge stamps with its Date.now(): read against this process's, the latency's own
        // length (monotonic) anchored at the receipt, so the two clocks' drift since start is out.
        const receivedAt = Date.now();
        split.toAcceptedMs.push(acceptedAt - (receivedAt - (at - sentAt)));
        split.acceptedToPushMs.push(receivedAt - acceptedAt);
      }
      pending.delete(id);
      seen.add(id);
      latenciesMs.push(at - sentAt);
      received += 1;
      lastReceivedAt = at;
    },
  });
  const startedAt = nowMs();
  const perMs = command.rate / 1000;
  while (nowMs() - startedAt < command.durationMs) {
    const due = Math.floor((nowMs() - startedAt) * perMs) - sent;
    for (let i = 0; i < due; i += 1) {
      const target = senders[sent % senders.length];
      if (!target) break;
      const other = mixedLoad.pick(sent);
      const otherSender = other ? senders[other.sender] : undefined;
      if (other && otherSender) {
        const ref = `${mixedPrefix}${sent}`;
        mixedPending.set(ref, nowMs());
        otherSender.client.sendMixed(other.kind, ref, otherSender.conversationId, other.messageId);
        mixed.sent += 1;
      } else {
        const id = `${command.tag}-${sent}`;
        pending.set(id, nowMs());
        target.client.send(target.conversationId, id, BODY);
      }
      sent += 1;
    }
    // Asleep until the next send is due (at least 1 ms): at a low rate, a wake-up every
    // millisecond cost the load generator more than the sends it paced, on the cores it shares
    // with the system it measures.
    const nextDueMs = (sent + 1) / perMs - (nowMs() - startedAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(nextDueMs))));
  }
  const graceEnd = nowMs() + command.graceMs;
  while ((pending.size > 0 || mixedPending.size > 0) && nowMs() < graceEnd)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return {
    kind: 'step-result',
    sent: sent - mixed.sent,
    acked,
    errors,
    received,
    duplicates,
    missing: pending.size,
    latenciesMs,
    split,
    mixed,
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
      setHandlers({
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
      });
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
      relaySockets.push({ close: () => receiver.terminate() }, { close: () => sender.terminate() });
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
      closeAll();
      for (const socket of relaySockets.splice(0)) socket.close();
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
