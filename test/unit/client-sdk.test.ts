import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  backoffDelayMs,
  ChatClientError,
  ConversationState,
  entrySeq,
  LogSequencer,
  MemoryOutboxStorage,
  Outbox,
  type OutboxEntry,
  type OutboxRecord,
} from '@chat/client';
import type { LogEntry } from '@chat/contracts';
import { expect } from 'chai';
import { AuthSession } from '../../libs/client/src/auth-session.js';
import { PresenceBook } from '../../libs/client/src/presence-book.js';

const CONV = '00000000-0000-4000-8000-00000000000c';
const ME = '00000000-0000-4000-8000-0000000000a1';
const OTHER = '00000000-0000-4000-8000-0000000000b2';

function message(seq: number, senderId = OTHER): LogEntry {
  return {
    type: 'message.new',
    message: {
      id: `m${seq}`,
      conversationId: CONV,
      seq,
      senderId,
      body: `body ${seq}`,
      clientMsgId: `c${seq}`,
      createdAt: new Date(1_000 * seq).toISOString(),
    },
  } as LogEntry;
}

function edit(seq: number, messageId: string, body: string): LogEntry {
  return {
    type: 'message.edited',
    conversationId: CONV,
    seq,
    messageId,
    body,
    editedAt: new Date(1_000 * seq).toISOString(),
    actorId: OTHER,
  };
}

const seqs = (entries: LogEntry[]) => entries.map(entrySeq);

describe('@chat/client log sequencer', () => {
  it('releases entries in seq order once, whatever order and how often they arrive', () => {
    const sequencer = new LogSequencer();
    expect(seqs(sequencer.offer(message(1)))).to.deep.equal([1]);
    expect(seqs(sequencer.offer(message(3))), '3 waits for 2').to.deep.equal([]);
    expect(seqs(sequencer.offer(message(5)))).to.deep.equal([]);
    expect(sequencer.waiting).to.equal(2);
    expect(seqs(sequencer.offer(message(3))), 'a second 3 is dropped').to.deep.equal([]);
    expect(sequencer.waiting).to.equal(2);
    expect(seqs(sequencer.offer(message(2))), '2 unblocks 3, not 5').to.deep.equal([2, 3]);
    expect(seqs(sequencer.offer(message(1))), 'an applied seq is dropped').to.deep.equal([]);
    expect(seqs(sequencer.offer(message(4)))).to.deep.equal([4, 5]);
    expect(sequencer.appliedSeq).to.equal(5);
    expect(sequencer.waiting).to.equal(0);
    expect(sequencer.behind).to.equal(false);
  });

  it('names the first gap: from the applied seq to the entry past it, or to the announced head', () => {
    const sequencer = new LogSequencer();
    expect(sequencer.gap).to.equal(undefined);
    sequencer.offer(message(1));
    sequencer.offer(message(4));
    sequencer.offer(message(7));
    expect(sequencer.gap).to.deep.equal({ afterSeq: 1, toSeq: 3 });
    sequencer.offer(message(2));
    sequencer.offer(message(3));
    expect(sequencer.gap).to.deep.equal({ afterSeq: 4, toSeq: 6 });
    sequencer.offer(message(5));
    sequencer.offer(message(6));
    expect(sequencer.gap).to.equal(undefined);
    sequencer.announce(9);
    expect(sequencer.behind, 'a head past what it holds').to.equal(true);
    expect(sequencer.gap).to.deep.equal({ afterSeq: 7, toSeq: 9 });
    sequencer.announce(3);
    expect(sequencer.knownSeq, 'an older head does not lower it').to.equal(9);
  });

  it('settle forgets what waits and what was announced, keeping what was applied', () => {
    const sequencer = new LogSequencer();
    sequencer.offer(message(1));
    sequencer.offer(message(3));
    sequencer.announce(10);
    sequencer.settle();
    expect([sequencer.appliedSeq, sequencer.knownSeq, sequencer.waiting]).to.deep.equal([1, 1, 0]);
    expect(seqs(sequencer.offer(message(2)))).to.deep.equal([2]);
  });

  it('interleaved pushes and log pages over 200 entries, shuffled and repeated: each applied once, in order', () => {
    const sequencer = new LogSequencer();
    const all = Array.from({ length: 200 }, (_, i) => message(i + 1));
    // A deterministic shuffle with every entry twice (a push and a page).
    const arrivals = [...all, ...all]
      .map((entry, i) => ({ entry, key: (i * 7919) % 401 }))
      .sort((a, b) => a.key - b.key)
      .map((a) => a.entry);
    const released: number[] = [];
    for (const entry of arrivals) released.push(...seqs(sequencer.offer(entry)));
    expect(released).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
  });
});

describe('@chat/client conversation state', () => {
  it('folds edits and counts unread from what others sent after the read cursor', () => {
    const conversation = new ConversationState(CONV, ME);
    conversation.updateFrom({ id: CONV, members: [ME, OTHER], lastSeq: 0, unread: 0 });
    for (const entry of [message(1), message(2, ME), message(3), edit(4, 'm1', 'edited')]) {
      for (const next of conversation.sequencer.offer(entry)) conversation.apply(next);
    }
    expect(conversation.messages().map((m) => [m.seq, m.body])).to.deep.equal([
      [1, 'edited'],
      [2, 'body 2'],
      [3, 'body 3'],
    ]);
    expect(conversation.unread, 'two from the other member').to.equal(2);
    conversation.markReadUpTo(1);
    expect(conversation.unread).to.equal(1);
    // A listing counted up to its lastSeq; entries held past it count on top.
    conversation.updateFrom({ id: CONV, lastSeq: 2, unread: 0 });
    expect(conversation.unread, 'seq 3 is past the listing').to.equal(1);
  });

  it('never counts a message twice when a listing counted past its own lastSeq', () => {
    // Seventy messages stream in; the listing asked meanwhile read the head at 10 but counted 70.
    const conversation = new ConversationState(CONV, ME);
    for (let seq = 1; seq <= 40; seq += 1)
      for (const next of conversation.sequencer.offer(message(seq))) conversation.apply(next);
    conversation.updateFrom({ id: CONV, members: [ME, OTHER], lastSeq: 10, unread: 70 });
    expect(conversation.unread).to.equal(40);
    for (let seq = 41; seq <= 70; seq += 1)
      for (const next of conversation.sequencer.offer(message(seq))) conversation.apply(next);
    expect(conversation.unread).to.equal(70);
  });

  it('a member who left stops expecting entries', () => {
    const conversation = new ConversationState(CONV, ME);
    conversation.updateFrom({ id: CONV, members: [ME, OTHER], lastSeq: 5 });
    const left: LogEntry = {
      type: 'member.changed',
      conversationId: CONV,
      seq: 1,
      userId: ME,
      change: 'left',
      actorId: ME,
    };
    for (const next of conversation.sequencer.offer(left)) conversation.apply(next);
    expect(conversation.member).to.equal(false);
    expect(conversation.sequencer.behind).to.equal(false);
    expect([...conversation.members]).to.deep.equal([OTHER]);
  });
});

describe('@chat/client backoff', () => {
  it('doubles from the initial delay up to the cap, jittered into [half, whole)', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, options, () => 0))).to.deep.equal([
      50, 100, 200, 400, 500, 500,
    ]);
    expect(backoffDelayMs(2, options, () => 0.999_999)).to.be.closeTo(400, 0.01);
    expect(backoffDelayMs(1_000, options, () => 0.5)).to.equal(750);
  });
});

describe('@chat/client presence book', () => {
  it("takes session.ready's online list for every contact, keeping versions so later pushes still win", () => {
    const book = new PresenceBook();
    book.takePush({ type: 'presence.changed', userId: OTHER, status: 'offline', lastSeen: 'then', version: 4 });
    book.takeSnapshot([OTHER, ME], [ME]);
    expect(book.get(ME)).to.deep.equal({ userId: ME, status: 'online' });
    expect(book.get(OTHER)).to.deep.equal({ userId: OTHER, status: 'offline', lastSeen: 'then' });
    expect(book.takePush({ type: 'presence.changed', userId: OTHER, status: 'online', version: 4 })).to.equal(false);
    expect(book.takePush({ type: 'presence.changed', userId: OTHER, status: 'online', version: 5 })).to.equal(true);
    book.takeSnapshot([OTHER], []);
    expect(book.get(OTHER)?.status).to.equal('offline');
  });

  it('lets a later query answer replace an earlier one, never a push', () => {
    const book = new PresenceBook();
    // Asked right after the conversation was made, before the server counted them as a contact.
    book.takeQuery([{ userId: OTHER, status: 'unknown' }]);
    book.takeQuery([{ userId: OTHER, status: 'online' }]);
    expect(book.get(OTHER)).to.deep.equal({ userId: OTHER, status: 'online' });
    book.takePush({ type: 'presence.changed', userId: OTHER, status: 'offline', lastSeen: 'then', version: 1 });
    book.takeQuery([{ userId: OTHER, status: 'online' }]);
    expect(book.get(OTHER)?.status, 'the push stands').to.equal('offline');
  });
});

describe('@chat/client outbox', () => {
  const record = (n: number): OutboxRecord => ({
    clientMsgId: `k${n}`,
    conversationId: CONV,
    body: `b${n}`,
    createdAt: n,
  });

  it('resends after unavailable and drops, fails for good on forbidden; storage follows', async () => {
    const storage = new MemoryOutboxStorage();
    let ready = true;
    const answers: Record<string, Array<Error | string>> = {
      k1: [new ChatClientError('unavailable', 'broker down'), 'id-1'],
      k2: [new ChatClientError('disconnected', 'dropped'), 'id-2'],
      k3: [new ChatClientError('forbidden', 'not a member')],
    };
    const sent: string[] = [];
    const outbox = new Outbox({
      storage,
      canSend: () => ready,
      backoff: { initialDelayMs: 1, maxDelayMs: 5 },
      send: async (r) => {
        sent.push(r.clientMsgId);
        const answer = answers[r.clientMsgId]?.shift();
        if (answer instanceof Error) throw answer;
        return answer ?? 'unexpected';
      },
    });
    const changes: Array<[string, OutboxEntry['status']]> = [];
    outbox.on('change', (entry) => changes.push([entry.clientMsgId, entry.status]));
    const first = outbox.add(record(1));
    const second = outbox.add(record(2));
    const third = outbox.add(record(3)).catch((error: ChatClientError) => error.code);
    expect((await first).messageId, 'unavailable, then resent after a backoff').to.equal('id-1');
    expect(await third).to.equal('forbidden');
    // k2 was dropped with the socket: it waits for the next session.ready.
    expect(outbox.entries().map((e) => [e.clientMsgId, e.status])).to.deep.equal([
      ['k2', 'pending'],
      ['k3', 'failed'],
    ]);
    ready = false;
    outbox.flushAll();
    ready = true;
    outbox.flushAll();
    expect((await second).messageId).to.equal('id-2');
    expect(sent).to.deep.equal(['k1', 'k2', 'k3', 'k1', 'k2']);
    expect(await storage.load(), 'acked and failed records leave the storage').to.deep.equal([]);
    expect(changes.filter(([, status]) => status !== 'pending')).to.deep.equal([
      ['k3', 'failed'],
      ['k1', 'sent'],
      ['k2', 'sent'],
    ]);
  });

  it('a new outbox on the same storage (a reload) sends what the last one left', async () => {
    const storage = new MemoryOutboxStorage();
    await storage.put(record(7));
    const sent: string[] = [];
    const outbox = new Outbox({
      storage,
      canSend: () => true,
      backoff: { initialDelayMs: 1, maxDelayMs: 5 },
      send: async (r) => {
        sent.push(r.clientMsgId);
        return 'id-7';
      },
    });
    await outbox.load();
    outbox.flushAll();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent).to.deep.equal(['k7']);
    expect(await storage.load()).to.deep.equal([]);
  });
});

describe('@chat/client in a browser', () => {
  /** Every module `libs/client/dist/index.js` loads at runtime, followed through relative imports. */
  function runtimeImports(): { files: string[]; packages: string[] } {
    const here = dirname(fileURLToPath(import.meta.url));
    const dist = join(here, '../../libs/client/dist');
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
        if (!specifier) continue;
        if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
        else packages.add(specifier);
      }
      for (const [, specifier] of text.matchAll(/^\s*import\s+'([^']+)'/gm)) if (specifier) packages.add(specifier);
    };
    visit(join(dist, 'index.js'));
    return { files: [...files], packages: [...packages].sort() };
  }

  it('loads no Node module and nothing of the contracts but their browser entry, which loads nothing', () => {
    const { files, packages } = runtimeImports();
    expect(files.length).to.be.greaterThan(10);
    expect(packages).to.deep.equal(['@chat/contracts/browser']);
    const require = createRequire(import.meta.url);
    const browserEntry = require.resolve('@chat/contracts/browser');
    const entryText = readFileSync(browserEntry, 'utf8');
    const reexports = [...entryText.matchAll(/from '(\.[^']+)'/g)].map((m) => m[1] ?? '');
    expect(reexports.length).to.be.greaterThan(0);
    for (const file of reexports) {
      const text = readFileSync(join(dirname(browserEntry), file), 'utf8');
      expect(text, `${file} imports nothing at runtime`).not.to.match(/^\s*import\s/m);
    }
    for (const file of files) {
      expect(readFileSync(file, 'utf8'), file).not.to.match(/\bBuffer\b|\bprocess\.|node:/);
    }
  });
});

/** An access token as the auth service issues it, as far as the client reads it (its claims). */
function accessToken(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256' })}.${part({ sub, iat: now, exp: now + 900 })}.signature`;
}

describe('@chat/client auth session', () => {
  it('a refresh asked for while a password change is answered waits for its new pair instead of spending the revoked token', async () => {
    // The server closes this device's socket (4004) before its answer to POST /password can
    // arrive; the connection then asks for a refresh. The old refresh token is revoked by then.
    const calls: string[] = [];
    let answerChange: (() => void) | undefined;
    const fetch = async (url: string) => {
      const path = new URL(url).pathname;
      calls.push(path);
      if (path === '/password') {
        await new Promise<void>((resolve) => {
          answerChange = resolve;
        });
        const pair = { accessToken: accessToken(ME), refreshToken: 'new refresh', expiresIn: 900 };
        return { status: 200, ok: true, text: async () => JSON.stringify(pair) };
      }
      const refused = { error: { code: 'unauthorized', message: 'refresh token revoked' } };
      return { status: 401, ok: false, text: async () => JSON.stringify(refused) };
    };
    const auth = new AuthSession({
      authUrl: 'http://auth.invalid',
      fetch,
      refreshMarginMs: 60_000,
      backoff: { initialDelayMs: 10, maxDelayMs: 10 },
    });
    const ended: string[] = [];
    auth.on('ended', (end) => ended.push(end.reason));
    auth.use({ accessToken: accessToken(ME), refreshToken: 'old refresh', expiresIn: 900 });

    const change = auth.changePassword('old passphrase', 'a new passphrase');
    const refreshed = auth.refresh();
    await new Promise((resolve) => setTimeout(resolve, 20));
    answerChange?.();
    const [changed, afterRefresh] = await Promise.all([change, refreshed]).finally(() => auth.stop());

    expect(afterRefresh.refreshToken).to.equal('new refresh');
    expect(changed.refreshToken).to.equal('new refresh');
    expect(calls).to.deep.equal(['/password']);
    expect(ended).to.deep.equal([]);
    expect(auth.ended).to.equal(false);
  });
});
