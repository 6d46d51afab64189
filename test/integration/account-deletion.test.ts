import { CLOSE_CODES } from '@chat/contracts';
import { expect } from 'chai';
import { type AppProcess, startApp } from '../support/app-process.js';
import { ChatClient, type FrameError } from '../support/chat-client.js';
import { get, request } from '../support/http.js';
import { isolatedVhost } from '../support/private-services.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { RUN_ID } from '../support/test-environment.js';
import { PASSWORD, registerUser } from '../support/users.js';

/**
 * A deleted account's access token (valid for up to 15 minutes more) is refused everywhere at
 * once: the edge's REST API, the user search, new sockets, and sockets already open (issue 10,
 * item 7).
 */
/** The deaf edge's account cache: only its expiry can tell it of a deletion. */
const DEAF_EDGE_ACCOUNT_TTL_MS = 2_000;

describe('a deleted account', function () {
  this.timeout(60_000);
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let deafEdge: AppProcess | undefined;

  before(async () => {
    vhost = await isolatedVhost('deleted');
    system = await startSystem({ edges: 1, persisters: 1, env: { AMQP_URL: vhost.amqpUrl } });
  });

  after(async () => {
    await deafEdge?.stop();
    await system?.stop();
    await vhost?.remove();
  });

  const edgeUrl = () => system.edges[0]?.url ?? '';

  it('is refused by the REST API and the user search, and its open socket closes with 4003', async () => {
    const alice = await registerUser(system.auth.url, 'gone');
    const bob = await registerUser(system.auth.url, 'stays');
    const socket = await ChatClient.connect(edgeUrl(), alice.accessToken);
    const direct = await request(
      'POST',
      `${edgeUrl()}/conversations/direct`,
      { userId: bob.id },
      { token: alice.accessToken },
    );
    expect(direct.status, direct.text).to.equal(200);
    const conversationId = direct.body.conversation.id as string;
    expect((await get(`${system.auth.url}/users?login=sta`, { token: alice.accessToken })).status).to.equal(200);

    const deleted = await request(
      'DELETE',
      `${system.auth.url}/me`,
      { password: PASSWORD },
      { token: alice.accessToken },
    );
    expect(deleted.status, deleted.text).to.equal(204);

    // The open socket: closed by the deletion notice, not at the token's expiry.
    const closed = await Promise.race([
      socket.closed,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000)),
    ]);
    expect(closed?.code, 'closed within 5 s').to.equal(CLOSE_CODES.accountDeleted);

    const refusals = [
      await get(`${edgeUrl()}/conversations`, { token: alice.accessToken }),
      await get(`${edgeUrl()}/conversations/${conversationId}/messages`, { token: alice.accessToken }),
      await request('POST', `${edgeUrl()}/conversations/direct`, { userId: bob.id }, { token: alice.accessToken }),
      await request(
        'POST',
        `${edgeUrl()}/conversations/group`,
        { title: 't', members: [bob.id] },
        { token: alice.accessToken },
      ),
      await get(`${system.auth.url}/users?login=sta`, { token: alice.accessToken }),
      await get(`${system.auth.url}/me`, { token: alice.accessToken }),
    ];
    expect(refusals.map((r) => [r.status, r.body?.error?.code])).to.deep.equal(
      Array.from({ length: refusals.length }, () => [401, 'unauthorized']),
    );
    // No conversation was created with the deleted user in it.
    const bobsConversations = await get(`${edgeUrl()}/conversations`, { token: bob.accessToken });
    expect(bobsConversations.body.conversations.map((c: { id: string }) => c.id)).to.deep.equal([conversationId]);
    // A new socket is refused before the handshake.
    const reconnect = await ChatClient.connect(edgeUrl(), alice.accessToken).then(
      () => 'opened',
      (error: Error) => error.message,
    );
    expect(reconnect).to.match(/401/);
  });

  it('stops a socket at its next frame on a node that missed the deletion notice', async () => {
    // An edge listening on another Redis prefix hears no notice from auth: only its own check is left.
    deafEdge = await startApp(
      'ws-edge',
      {
        AMQP_URL: vhost.amqpUrl,
        AUTH_JWKS_URL: `${system.auth.url}/.well-known/jwks.json`,
        NODE_ID: `deaf-${process.pid}`,
        REDIS_PREFIX: `deaf-${RUN_ID}`,
        ACCOUNT_CHECK_TTL_MS: String(DEAF_EDGE_ACCOUNT_TTL_MS),
      },
      { name: 'deaf-edge' },
    );
    const carol = await registerUser(system.auth.url, 'gone2');
    const socket = await ChatClient.connect(deafEdge.url, carol.accessToken);
    expect((await socket.request('conversation.list', {})).conversations).to.deep.equal([]);
    const deleted = await request(
      'DELETE',
      `${system.auth.url}/me`,
      { password: PASSWORD },
      { token: carol.accessToken },
    );
    expect(deleted.status).to.equal(204);
    // Past the node's account cache, the next frame is refused and the socket closed.
    await new Promise((resolve) => setTimeout(resolve, DEAF_EDGE_ACCOUNT_TTL_MS + 500));
    const refused = (await socket.request('conversation.list', {}).catch((error) => error)) as FrameError;
    expect(refused.code).to.equal('unauthorized');
    expect((await socket.closed).code).to.equal(CLOSE_CODES.accountDeleted);
  });
});
