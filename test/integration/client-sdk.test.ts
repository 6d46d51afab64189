import { ChatClient, type ConversationState, MemoryOutboxStorage, type WebSocketLike } from '@chat/client';
import { expect } from 'chai';
import WebSocket from 'ws';
import { post } from '../support/http.js';
import { fullHistory, NetworkGate, sdkClient, waitUntil, wsUrl } from '../support/sdk-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { PASSWORD, registerUser, type TestUser, uniqueLogin } from '../support/users.js';

describe('@chat/client against the real system', function () {
  this.timeout(120_000);
  let system: TestSystem;
  const clients: ChatClient[] = [];

  before(async () => {
    system = await startSystem({ edges: 2 });
  });

  after(async () => {
    for (const client of clients) client.close();
    await system?.stop();
  });

  it('two clients on the two edges: sends both ways, a reply, edits, reactions, a delete; state equals history.get', async () => {
    // Alice registers and logs in through the SDK; Bob through the test helper's tokens.
    const alice = sdkClient(system, [0, 1]);
    const bob = sdkClient(system, [1, 0]);
    clients.push(alice, bob);
    const aliceLogin = uniqueLogin('sdka');
    const registered = await alice.register(aliceLogin, PASSWORD, 'Alice');
    expect(registered.login).to.equal(aliceLogin);
    await alice.login(aliceLogin, PASSWORD);
    const bobUser: TestUser = await registerUser(system.auth.url, 'sdkb');
    bob.useSession(bobUser);
    const states: string[] = [];
    alice.on('state', (state) => states.push(state));
    await Promise.all([alice.connect(), bob.connect()]);
    expect(states).to.deep.equal(['connecting', 'ready']);
    expect(alice.edgeUrl).to.equal(wsUrl(system.edges[0]?.url ?? ''));
    expect(bob.edgeUrl).to.equal(wsUrl(system.edges[1]?.url ?? ''));

    const bobNew: string[] = [];
    bob.on('message.new', (frame) => bobNew.push(frame.message.id));
    const aliceEntries: number[] = [];
    alice.on('entry', (entry) => aliceEntries.push(entry.type === 'message.new' ? entry.message.seq : entry.seq));

    const direct = await alice.openDirect({ userId: bobUser.id });
    const conversationId = direct.id;
    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? alice : bob).send(conversationId, `${i % 2 === 0 ? 'alice' : 'bob'} ${i}`),
      ),
    );
    expect(new Set(sent.map((s) => s.messageId)).size).to.equal(10);
    const [first, second] = sent;
    if (!first || !second) throw new Error('no sends');
    const reply = await bob.send(conversationId, 'a reply', { replyTo: first.messageId });

    const editSeq = await alice.edit(conversationId, first.messageId, 'alice 0, edited');
    const thumbs = await bob.react(conversationId, first.messageId, '👍');
    const again = await bob.react(conversationId, first.messageId, '👍');
    const heart = await alice.react(conversationId, first.messageId, '❤️');
    const aliceThumbs = await alice.react(conversationId, first.messageId, '👍');
    const unheart = await alice.unreact(conversationId, first.messageId, '❤️');
    const deleted = await bob.delete(conversationId, second.messageId);
    expect(again, 'a repeated reaction writes nothing').to.equal(null);
    const seqs = [editSeq, thumbs, heart, aliceThumbs, unheart, deleted];
    for (const seq of seqs) expect(seq).to.be.a('number');
    const lastSeq = Math.max(...(seqs as number[]));
    expect(lastSeq, '11 messages and 6 changes number the log 1-17').to.equal(17);

    const held = (client: ChatClient): ConversationState => {
      const state = client.conversation(conversationId);
      if (!state) throw new Error('the client does not hold the conversation');
      return state;
    };
    await waitUntil('both clients applied seq 17', () => held(alice).appliedSeq >= 17 && held(bob).appliedSeq >= 17);
    await Promise.all([alice.settled(), bob.settled()]);

    for (const client of [alice, bob]) {
      const state = held(client);
      const messages = state.messages();
      expect(messages).to.have.length(11);
      expect(messages.map((m) => m.seq)).to.deep.equal([...messages.map((m) => m.seq)].sort((a, b) => a - b));
      expect(new Set(messages.map((m) => m.clientMsgId)).size).to.equal(11);
      expect(messages).to.deep.equal(await fullHistory(client, conversationId));
      const edited = messages.find((m) => m.id === first.messageId);
      expect(edited?.body).to.equal('alice 0, edited');
      expect(edited?.reactions.map((r) => [r.emoji, r.count])).to.deep.equal([['👍', 2]]);
      expect(messages.find((m) => m.id === second.messageId)?.deleted).to.equal(true);
      expect(messages.find((m) => m.id === reply.messageId)?.replyTo).to.equal(first.messageId);
      expect(state.members.size).to.equal(2);
      expect(state.appliedSeq).to.equal(17);
    }
    expect(bobNew, 'bob saw each message.new once').to.have.length(11);
    expect(new Set(bobNew).size).to.equal(11);
    expect(aliceEntries, 'alice applied entries 1-17 once, in order').to.deep.equal(
      Array.from({ length: 17 }, (_, i) => i + 1),
    );

    // Unread: bob has alice's 5 messages (one edited) unread, none after markRead.
    await waitUntil('bob counted alice messages', () => held(bob).unread === 5);
    const cursor = await bob.markRead(conversationId);
    expect(cursor).to.equal(17);
    expect(held(bob).unread).to.equal(0);

    // Delivered receipts go out as entries are applied: alice sees bob holding 17.
    await waitUntil('bob delivered 17 (as alice sees it)', () => {
      const receipt = held(alice).receipts.get(bobUser.id);
      return receipt !== undefined && receipt.deliveredSeq === 17 && receipt.readSeq === 17;
    });
  });

  it('offline, then back: resumes by log.get from the seq it holds; a new device folds the whole log', async () => {
    const [aliceUser, bobUser] = await Promise.all([
      registerUser(system.auth.url, 'sdkra'),
      registerUser(system.auth.url, 'sdkrb'),
    ]);
    const gate = new NetworkGate();
    const alice = sdkClient(system, [0, 1], gate);
    const bob = sdkClient(system, [1, 0]);
    clients.push(alice, bob);
    alice.useSession(aliceUser);
    bob.useSession(bobUser);
    await Promise.all([alice.connect(), bob.connect()]);
    const conversationId = (await bob.openDirect({ userId: aliceUser.id })).id;
    for (let i = 0; i < 3; i += 1) await bob.send(conversationId, `before ${i}`);
    await waitUntil('alice holds 3', () => alice.conversation(conversationId)?.appliedSeq === 3);

    // Alice drops off and cannot reconnect while Bob sends and edits: no push reaches her.
    gate.down = true;
    gate.drop();
    await waitUntil('alice reconnecting', () => alice.state === 'reconnecting');
    const offline = await Promise.all(Array.from({ length: 7 }, (_, i) => bob.send(conversationId, `while away ${i}`)));
    const editSeq = await bob.edit(conversationId, offline[0]?.messageId ?? '', 'while away 0, edited');
    expect(editSeq).to.equal(11);
    const queued = alice.send(conversationId, 'written offline');
    expect(alice.outbox().map((e) => e.status)).to.deep.equal(['pending']);
    const fetched: number[] = [];
    alice.on('entry', (entry) => fetched.push(entry.type === 'message.new' ? entry.message.seq : entry.seq));

    gate.down = false;
    const sent = await queued;
    await waitUntil('alice holds 12', () => alice.conversation(conversationId)?.appliedSeq === 12);
    await alice.settled();
    expect(fetched, 'entries 4-12 applied once, in order').to.deep.equal([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const state = alice.conversation(conversationId);
    expect(state?.messages()).to.have.length(11);
    expect(state?.messages()).to.deep.equal(await fullHistory(alice, conversationId));
    expect(state?.message(sent.messageId)?.message.seq).to.equal(12);
    expect(state?.unread, 'bob sent 10, none read').to.equal(10);

    // A new device for Bob holds nothing: session.ready says lastSeq 12, so it folds the log from 0.
    const bobPhone = sdkClient(system, [0, 1]);
    clients.push(bobPhone);
    bobPhone.useSession(await bob.refresh());
    await bobPhone.connect();
    await waitUntil('the new device holds 12', () => bobPhone.conversation(conversationId)?.appliedSeq === 12);
    await bobPhone.settled();
    expect(bobPhone.conversation(conversationId)?.messages()).to.deep.equal(await fullHistory(bob, conversationId));
    expect(bobPhone.conversation(conversationId)?.messages()[0]?.body).to.equal('before 0');
  });

  it('a refresh over HTTP renews the socket session; a reused refresh token ends the session cleanly', async () => {
    const carol = sdkClient(system, [0, 1]);
    clients.push(carol);
    const user = await registerUser(system.auth.url, 'sdkc');
    carol.useSession(user);
    await carol.connect();
    const tokens: string[] = [];
    carol.on('tokens', (session) => tokens.push(session.accessToken));
    const renewed = await carol.refresh();
    expect(renewed.refreshToken).to.not.equal(user.refreshToken);
    expect(tokens).to.have.length(1);
    const ack = await carol.request('auth.refresh', { accessToken: renewed.accessToken });
    expect(ack.expiresAt).to.be.a('string');

    // Someone else spends the current refresh token; the client's next refresh is a reuse.
    const stolen = await post(`${system.auth.url}/token/refresh`, { refreshToken: renewed.refreshToken });
    expect(stolen.status).to.equal(200);
    const ended: string[] = [];
    carol.on('session-ended', (reason) => ended.push(reason.code));
    const states: string[] = [];
    carol.on('state', (state) => states.push(state));
    let refusal: unknown;
    await carol.refresh().catch((error) => {
      refusal = error;
    });
    expect((refusal as { code?: string }).code).to.equal('unauthorized');
    expect(ended).to.deep.equal(['session_ended']);
    expect(states).to.deep.equal(['closed']);
    expect(carol.state).to.equal('closed');
  });

  it('changePassword: this client reconnects with its new tokens and goes on; the other device ends at once', async () => {
    const user = await registerUser(system.auth.url, 'sdkpw');
    const other = (await post(`${system.auth.url}/login`, { login: user.login, password: PASSWORD })).body;
    const here = sdkClient(system, [0, 1]);
    const there = sdkClient(system, [1, 0]);
    clients.push(here, there);
    here.useSession(user);
    there.useSession(other);
    await Promise.all([here.connect(), there.connect()]);
    const ended: Array<{ reason: string }> = [];
    there.on('session-ended', (end) => ended.push(end));
    const hereStates: string[] = [];
    here.on('state', (state) => hereStates.push(state));

    const before = Date.now();
    await here.changePassword(PASSWORD, 'a brand new passphrase');
    await waitUntil('the other device ended', () => ended.length > 0, 10_000);
    expect(Date.now() - before, 'at once, not at the access token expiry').to.be.below(10_000);
    expect(ended.map((end) => end.reason)).to.deep.equal(['refresh_refused']);
    expect(there.state).to.equal('closed');
    await waitUntil('this client ready again', () => here.state === 'ready' && hereStates.includes('reconnecting'));
    const group = await here.createGroup('after the change', []);
    const sent = await here.send(group.id, 'still here');
    expect(sent.messageId).to.be.a('string');
  });

  it('group changes through the SDK: rename, add, remove, leave; every member state equals history.get', async () => {
    const [ownerUser, bobUser, carolUser, daveUser] = (await Promise.all(
      ['sdkgo', 'sdkgb', 'sdkgc', 'sdkgd'].map((tag) => registerUser(system.auth.url, tag)),
    )) as [TestUser, TestUser, TestUser, TestUser];
    const [owner, bob, carol, dave] = [ownerUser, bobUser, carolUser, daveUser].map((user, i) => {
      const client = sdkClient(system, i % 2 === 0 ? [0, 1] : [1, 0]);
      client.useSession(user);
      clients.push(client);
      return client;
    }) as [ChatClient, ChatClient, ChatClient, ChatClient];
    await Promise.all([owner, bob, carol, dave].map((client) => client.connect()));
    const group = await owner.createGroup('first title', [bobUser.id, carolUser.id]);
    const groupId = group.id;
    const hello = await owner.send(groupId, 'hello group');
    expect(await owner.rename(groupId, 'second title')).to.equal(2);
    expect(await owner.addMember(groupId, daveUser.id)).to.equal(3);
    expect(await owner.addMember(groupId, daveUser.id), 'already a member: nothing written').to.equal(null);
    await bob.send(groupId, 'bob here', { replyTo: hello.messageId });
    expect(await owner.removeMember(groupId, carolUser.id)).to.equal(5);
    expect(await bob.leave(groupId)).to.equal(6);
    await owner.send(groupId, 'after bob left');

    const heldBy = (client: ChatClient) => client.conversation(groupId);
    await waitUntil('owner and dave hold 7', () => heldBy(owner)?.appliedSeq === 7 && heldBy(dave)?.appliedSeq === 7);
    await waitUntil(
      'bob and carol hold up to their removal',
      () => heldBy(bob)?.appliedSeq === 6 && heldBy(carol)?.appliedSeq === 5,
    );
    for (const client of [owner, dave]) {
      await client.settled();
      const state = heldBy(client);
      expect(state?.title).to.equal('second title');
      expect([...(state?.members ?? [])].sort()).to.deep.equal([ownerUser.id, daveUser.id].sort());
      expect(state?.messages().map((m) => m.body)).to.deep.equal(['hello group', 'bob here', 'after bob left']);
      expect(state?.messages()).to.deep.equal(await fullHistory(client, groupId));
    }
    // Dave joined at seq 3 and folded the log from the start: the message before he joined is his too.
    expect(heldBy(dave)?.messages()[1]?.replyTo).to.equal(hello.messageId);
    for (const [client, applied] of [
      [bob, 6],
      [carol, 5],
    ] as const) {
      const state = heldBy(client);
      expect(state?.member, 'no longer a member').to.equal(false);
      expect(state?.appliedSeq).to.equal(applied);
      expect(state?.sequencer.behind, 'expects nothing more').to.equal(false);
    }
    expect(
      heldBy(carol)
        ?.messages()
        .map((m) => m.body),
    ).to.deep.equal(['hello group', 'bob here']);
  });

  it('a push lost on the way is fetched with log.get at the next push, applied once and in order', async () => {
    const [aliceUser, bobUser] = await Promise.all([
      registerUser(system.auth.url, 'sdkla'),
      registerUser(system.auth.url, 'sdklb'),
    ]);
    // Bob's socket swallows the push of seq 2 (as a broker restart can, the socket staying up).
    let swallowed = 0;
    class LossySocket implements WebSocketLike {
      readonly #ws: WebSocket;
      onopen: ((event: unknown) => void) | null = null;
      onmessage: ((event: { data: unknown }) => void) | null = null;
      onclose: ((event: unknown) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;

      constructor(url: string, options?: WebSocket.ClientOptions) {
        this.#ws = new WebSocket(url, options);
        this.#ws.onopen = (event) => this.onopen?.(event);
        this.#ws.onclose = (event) => this.onclose?.(event);
        this.#ws.onerror = (event) => this.onerror?.(event);
        this.#ws.onmessage = (event) => {
          const frame = JSON.parse(String(event.data));
          if (frame.type === 'message.new' && frame.message.seq === 2 && swallowed === 0) {
            swallowed += 1;
            return;
          }
          this.onmessage?.(event);
        };
      }

      get readyState(): number {
        return this.#ws.readyState;
      }

      send(data: string): void {
        this.#ws.send(data);
      }

      close(code?: number, reason?: string): void {
        this.#ws.close(code, reason);
      }
    }
    const alice = sdkClient(system, [0, 1]);
    const bob = new ChatClient({
      authUrl: system.auth.url,
      edgeUrls: [wsUrl(system.edges[1]?.url ?? '')],
      WebSocket: LossySocket,
    });
    clients.push(alice, bob);
    alice.useSession(aliceUser);
    bob.useSession(bobUser);
    await Promise.all([alice.connect(), bob.connect()]);
    const conversationId = (await alice.openDirect({ userId: bobUser.id })).id;
    const seen: number[] = [];
    bob.on('message.new', (frame) => seen.push(frame.message.seq));
    await alice.send(conversationId, 'one');
    await waitUntil('bob holds 1', () => bob.conversation(conversationId)?.appliedSeq === 1);
    await alice.send(conversationId, 'two');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(swallowed).to.equal(1);
    expect(bob.conversation(conversationId)?.appliedSeq, 'seq 2 did not arrive').to.equal(1);
    await alice.send(conversationId, 'three');
    await waitUntil('bob holds 3', () => bob.conversation(conversationId)?.appliedSeq === 3);
    await bob.settled();
    expect(seen).to.deep.equal([1, 2, 3]);
    expect(bob.conversation(conversationId)?.messages()).to.deep.equal(await fullHistory(bob, conversationId));
  });

  it('an outbox kept in storage outlives its client: the next one (a reload) sends it, once', async () => {
    const [aliceUser, bobUser] = await Promise.all([
      registerUser(system.auth.url, 'sdkoa'),
      registerUser(system.auth.url, 'sdkob'),
    ]);
    const storage = new MemoryOutboxStorage();
    const gate = new NetworkGate();
    gate.down = true;
    const before = new ChatClient({
      authUrl: system.auth.url,
      edgeUrls: [wsUrl(system.edges[0]?.url ?? '')],
      WebSocket: gate.WebSocket(),
      outbox: storage,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    clients.push(before);
    before.useSession(aliceUser);
    void before.connect().catch(() => undefined);
    const bob = sdkClient(system, [1, 0]);
    clients.push(bob);
    bob.useSession(bobUser);
    await bob.connect();
    const conversationId = (await bob.openDirect({ userId: aliceUser.id })).id;
    const lost = before
      .send(conversationId, 'typed before the reload', { clientMsgId: 'reload-1' })
      .catch((e) => e.code);
    await waitUntil('stored', () => before.outbox().length === 1);
    before.close();
    expect(await lost).to.equal('closed');
    expect((await storage.load()).map((r) => r.clientMsgId)).to.deep.equal(['reload-1']);

    const after = new ChatClient({
      authUrl: system.auth.url,
      edgeUrls: [wsUrl(system.edges[0]?.url ?? '')],
      WebSocket,
      outbox: storage,
    });
    clients.push(after);
    after.useSession(aliceUser);
    const statuses: string[] = [];
    after.on('outbox', (entry) => statuses.push(entry.status));
    await after.connect();
    await waitUntil('bob holds it', () => bob.conversation(conversationId)?.appliedSeq === 1);
    await after.settled();
    expect(statuses).to.deep.equal(['sent']);
    expect(await storage.load()).to.deep.equal([]);
    const messages = await fullHistory(bob, conversationId);
    expect(messages.map((m) => [m.body, m.clientMsgId])).to.deep.equal([['typed before the reload', 'reload-1']]);
  });

  it('typing and presence helpers', async () => {
    const [aliceUser, bobUser] = await Promise.all([
      registerUser(system.auth.url, 'sdkta'),
      registerUser(system.auth.url, 'sdktb'),
    ]);
    const alice = sdkClient(system, [0, 1]);
    const bob = sdkClient(system, [1, 0]);
    clients.push(alice, bob);
    alice.useSession(aliceUser);
    bob.useSession(bobUser);
    await Promise.all([alice.connect(), bob.connect()]);
    const conversationId = (await alice.openDirect({ userId: bobUser.id })).id;
    const typing: string[] = [];
    bob.on('typing', (frame) => typing.push(frame.userId));
    for (let i = 0; i < 5; i += 1) alice.typing(conversationId);
    await waitUntil('bob sees alice typing', () => bob.typingUsers(conversationId).includes(aliceUser.id));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(typing, 'five keystrokes, one typing frame').to.deep.equal([aliceUser.id]);
    await alice.send(conversationId, 'done typing');
    await waitUntil('a message ends typing', () => bob.typingUsers(conversationId).length === 0);
    const presence = await bob.queryPresence([aliceUser.id]);
    expect(presence.map((p) => p.userId)).to.deep.equal([aliceUser.id]);
    expect(bob.presence(aliceUser.id)?.userId).to.equal(aliceUser.id);
  });
});
