import { ChatClient, type FetchLike } from '@chat/client';
import { expect } from 'chai';
import WebSocket from 'ws';
import { post, request } from '../support/http.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { PASSWORD, uniqueLogin } from '../support/users.js';

describe('@chat/client names users: users(ids), user(id), searchUsers(prefix)', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => {
    system = await startSystem({ edges: 1 });
  });

  after(async () => {
    await system?.stop();
  });

  it('asks auth once per id, leaves unknown ids out, and finds users by the start of their login', async () => {
    const logins = [uniqueLogin('names'), uniqueLogin('names'), uniqueLogin('names')];
    const ids: string[] = [];
    for (const [i, login] of logins.entries()) {
      const answer = await post(`${system.auth.url}/register`, { login, password: PASSWORD, displayName: `User ${i}` });
      expect(answer.status, answer.text).to.equal(201);
      ids.push(answer.body.id);
    }
    const asked: string[] = [];
    const counting: FetchLike = (input, init) => {
      if (input.includes('/users?')) asked.push(new URL(input).search);
      return fetch(input, init as RequestInit);
    };
    // Names come from auth alone: the client needs no socket for them.
    const watched = new ChatClient({ authUrl: system.auth.url, edgeUrls: ['ws://127.0.0.1:9/ws'], fetch: counting });
    await watched.login(logins[0] ?? '', PASSWORD);

    const unknownId = '00000000-0000-4000-8000-000000000000';
    const [first, second, third] = ids as [string, string, string];
    const named = await watched.users([second, unknownId, first, second]);
    expect(named.map((user) => user.displayName)).to.deep.equal(['User 1', 'User 0']);
    expect(watched.user(first)).to.deep.equal({ id: first, login: logins[0], displayName: 'User 0' });
    expect(watched.user(third), 'not asked yet').to.equal(undefined);
    // Known and unknown ids alike are not asked again; only the new one is.
    await Promise.all([watched.users([first, unknownId, third]), watched.users([third])]);
    expect(asked).to.have.length(2);
    expect(asked[1]).to.equal(`?ids=${third}`);

    const found = await watched.searchUsers(logins[2]?.slice(0, 12) ?? '');
    expect(found.map((user) => user.login)).to.include(logins[2]);
    expect(asked).to.have.length(3);
    watched.close();
  });

  it("takes a contact's new display name from the user.changed push, without asking auth again", async () => {
    const [aLogin, bLogin] = [uniqueLogin('renamea'), uniqueLogin('renameb')];
    for (const login of [aLogin, bLogin]) await post(`${system.auth.url}/register`, { login, password: PASSWORD });
    const edgeUrls = [`${system.edges[0]?.url.replace(/^http/, 'ws')}/ws`];
    const asked: string[] = [];
    const counting: FetchLike = (input, init) => {
      if (input.includes('/users?')) asked.push(input);
      return fetch(input, init as RequestInit);
    };
    const a = new ChatClient({ authUrl: system.auth.url, edgeUrls, WebSocket, fetch: counting });
    const b = new ChatClient({ authUrl: system.auth.url, edgeUrls, WebSocket });
    try {
      await a.login(aLogin, PASSWORD);
      const bSession = await b.login(bLogin, PASSWORD);
      await Promise.all([a.connect(), b.connect()]);
      const bId = b.userId ?? '';
      await a.openDirect({ userId: bId });
      await a.users([bId]);
      const seen: string[] = [];
      a.on('user.changed', (frame) => seen.push(frame.user.displayName));
      const renamed = await request(
        'PATCH',
        `${system.auth.url}/me`,
        { displayName: 'Bee' },
        { token: bSession.accessToken },
      );
      expect(renamed.status, renamed.text).to.equal(200);
      const deadline = Date.now() + 10_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).to.deep.equal(['Bee']);
      expect(a.user(bId)?.displayName).to.equal('Bee');
      expect(asked, 'the push is enough: no second lookup').to.have.length(1);
    } finally {
      a.close();
      b.close();
    }
  });
});
