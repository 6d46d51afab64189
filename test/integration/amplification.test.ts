import { randomUUID } from 'node:crypto';
import { ferretDbDialect, MONGODB_DIALECT, type ServerDialect } from '@chat/storage';
import { expect } from 'chai';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { ChatClient, FrameError } from '../support/chat-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';
import { registerUser, type TestUser } from '../support/users.js';

const unknownIds = (count: number) => Array.from({ length: count }, () => randomUUID());

/** One frame must not buy a thousand queries, nor one connection a queue of such frames. */
describe('amplification: costly frames are bounded per frame and per connection', function () {
  this.timeout(120_000);

  describe('looking members up', () => {
    let mongo: MongoClient;
    const finds: string[] = [];
    const collectionName = `amplification_${Date.now()}`;

    before(async () => {
      mongo = await new MongoClient(MONGO_URL, { monitorCommands: true }).connect();
      mongo.on('commandStarted', (event: CommandStartedEvent) => {
        if (event.commandName === 'find' && event.command.find === collectionName) finds.push(event.commandName);
      });
      await mongo
        .db(MONGO_DB)
        .collection<{ _id: string }>(collectionName)
        .insertMany(['a', 'b', 'c'].map((_id) => ({ _id })));
    });

    after(async () => {
      await mongo?.db(MONGO_DB).collection(collectionName).drop();
      await mongo?.close();
    });

    const lookup = async (dialect: ServerDialect, values: string[]) => {
      finds.length = 0;
      const absent = await dialect.firstAbsent(mongo.db(MONGO_DB).collection(collectionName), '_id', values);
      return { absent, queries: finds.length };
    };

    it('answers 1,000 unknown ids after a bounded number of queries on either server', async () => {
      const ids = unknownIds(1_000);
      const ferret = await lookup(ferretDbDialect(), ids);
      expect(ids).to.include(ferret.absent);
      // Each of its 16 lanes stops at its first miss.
      expect(ferret.queries).to.be.at.most(16);
      const mongodb = await lookup(MONGODB_DIALECT, ids);
      expect(mongodb.absent).to.equal(ids[0]);
      expect(mongodb.queries).to.equal(1);
    });

    it('finds the one absent id among present ones, and none when all are there', async () => {
      for (const dialect of [ferretDbDialect(), MONGODB_DIALECT]) {
        expect((await lookup(dialect, ['a', 'b', 'c'])).absent, dialect.server).to.equal(undefined);
        expect((await lookup(dialect, ['a', 'x', 'c'])).absent, dialect.server).to.equal('x');
      }
    });
  });

  describe('on a running edge', () => {
    let system: TestSystem;
    let alice: TestUser;
    let bob: TestUser;

    before(async () => {
      system = await startSystem({ edges: 1, persisters: 1 });
      [alice, bob] = await Promise.all([registerUser(system.auth.url, 'alice'), registerUser(system.auth.url, 'bob')]);
    });

    after(async () => {
      await system?.stop();
    });

    const edge = () => system.edges[0]?.url ?? '';

    it('refuses a group of 1,000 unknown members with not_found', async () => {
      const client = await ChatClient.connect(edge(), alice.accessToken);
      const refused = await client
        .request('conversation.create_group', { title: 'many', members: unknownIds(999) })
        .catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(FrameError);
      expect((refused as FrameError).code).to.equal('not_found');
      client.close();
    });

    it('works on at most 4 costly frames of one connection at once; the rest are rate_limited, with their ref', async () => {
      const client = await ChatClient.connect(edge(), alice.accessToken);
      const burst = Array.from({ length: 20 }, (_, i) => ({
        type: 'conversation.create_group',
        ref: `g${i}`,
        title: `burst ${i}`,
        members: unknownIds(40),
      }));
      client.sendBurst([...burst, { type: 'ping', ref: 'cheap' }]);
      const answers = await client.waitForCount((frame) => String(frame.ref).startsWith('g'), burst.length);
      const codes = answers.map((frame) => frame.code);
      expect(codes.filter((code) => code === 'not_found')).to.have.length(4);
      expect(codes.filter((code) => code === 'rate_limited')).to.have.length(16);
      expect(answers.find((frame) => frame.code === 'rate_limited')?.message).to.match(/at most 4/);
      // Cheap frames are not held back by the budget, and the budget comes back once answered.
      expect((await client.waitFor((frame) => frame.ref === 'cheap')).type).to.equal('ack');
      const group = await client.request('conversation.create_group', { title: 'after', members: [bob.id] });
      expect(group.conversation.members).to.have.members([alice.id, bob.id]);
      client.close();
    });

    it('keeps serving another user meanwhile', async () => {
      const abuser = await ChatClient.connect(edge(), alice.accessToken);
      const other = await ChatClient.connect(edge(), bob.accessToken);
      abuser.sendBurst(
        Array.from({ length: 50 }, (_, i) => ({
          type: 'conversation.create_group',
          ref: `a${i}`,
          title: 'x',
          members: unknownIds(999),
        })),
      );
      expect((await other.request('conversation.list')).type).to.equal('ack');
      await abuser.waitForCount((frame) => String(frame.ref).startsWith('a'), 50);
      abuser.close();
      other.close();
    });
  });
});
