import { membershipIdOf } from '@chat/storage';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ChatClient, FrameError } from '../support/chat-client.js';
import { post } from '../support/http.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';
import { registerUser, type TestUser } from '../support/users.js';

/** The group-size cap (creator included) and the edge's check of what it is about to publish. */
describe('group size: one cap on every path that adds a member', function () {
  this.timeout(120_000);
  const CAP = 3;
  let system: TestSystem;
  let mongo: MongoClient;
  let users: TestUser[];

  before(async () => {
    system = await startSystem({ edges: 1, persisters: 1, edgeEnv: { GROUP_MAX_MEMBERS: String(CAP) } });
    mongo = await new MongoClient(MONGO_URL).connect();
    users = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => registerUser(system.auth.url, name)));
  });

  after(async () => {
    await mongo?.close();
    await system?.stop();
  });

  const edge = () => system.edges[0]?.url ?? '';
  const ids = (from: number, to: number) => users.slice(from, to).map((user) => user.id);

  async function refusal(promise: Promise<unknown>): Promise<FrameError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof FrameError) return error;
      throw error;
    }
    throw new Error('expected the request to be refused');
  }

  it('refuses create_group and POST /conversations/group beyond the cap, creator included', async () => {
    const alice = await ChatClient.connect(edge(), users[0]?.accessToken);
    const refused = await refusal(alice.request('conversation.create_group', { title: 'too big', members: ids(1, 4) }));
    expect(refused.code).to.equal('bad_request');
    expect(refused.message).to.include(`${CAP}`);
    const rest = await post(
      `${edge()}/conversations/group`,
      { title: 'too big', members: ids(1, 4) },
      {
        token: users[0]?.accessToken ?? '',
      },
    );
    expect(rest.status).to.equal(400);
    expect(rest.body.error.code).to.equal('bad_request');
    const { conversation } = await alice.request('conversation.create_group', { title: 'full', members: ids(1, 3) });
    expect(conversation.members).to.have.length(CAP);
    alice.close();
  });

  it('refuses add_member to a full group', async () => {
    const alice = await ChatClient.connect(edge(), users[0]?.accessToken);
    const { conversation } = await alice.request('conversation.create_group', { title: 'full', members: ids(1, 3) });
    const refused = await refusal(
      alice.request('conversation.add_member', { conversationId: conversation.id, userId: users[3]?.id }),
    );
    expect(refused.code).to.equal('bad_request');
    const members = await mongo
      .db(MONGO_DB)
      .collection('memberships')
      .countDocuments({ conversationId: conversation.id });
    expect(members).to.equal(CAP);
    alice.close();
  });

  it('never acks a message the persister would dead-letter: a group stored with more members than the event allows', async () => {
    const alice = await ChatClient.connect(edge(), users[0]?.accessToken);
    const { conversation } = await alice.request('conversation.create_group', { title: 'legacy', members: ids(1, 2) });
    // A group that grew before the cap existed: 1,001 members, written behind the edge's back.
    const extra = Array.from({ length: 1_001 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await mongo
      .db(MONGO_DB)
      .collection<{ _id: string }>('memberships')
      .insertMany(
        extra.map((userId) => ({
          _id: membershipIdOf(conversation.id, userId),
          conversationId: conversation.id,
          userId,
          joinedAt: new Date(),
          readSeq: 0,
        })),
      );
    const refused = await refusal(
      alice.request('message.send', { conversationId: conversation.id, body: 'hello', clientMsgId: 'legacy-1' }),
    );
    expect(refused.code).to.not.equal('internal');
    alice.close();
  });
});
