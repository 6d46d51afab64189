import { randomUUID } from 'node:crypto';
import { loadConfig, servicesEnv } from '@chat/config';
import { detectDialect, ensureIndexes } from '@chat/storage';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { MONGO_URL, RUN_ID } from '../support/test-environment.js';

/**
 * The local FerretDB's lookups use an index (scripts/src/services/ferretdb-lookup-indexes.ts).
 * FerretDB 1.24 filters with `_jsonb->'field' @> value`, which its btree indexes cannot serve;
 * without the GIN lookup indexes every findById and every lookup by conversation scanned the
 * whole table. Checked on the plan PostgreSQL chooses for FerretDB's own form of the query.
 */
describe('FerretDB lookups', function () {
  this.timeout(60_000);
  const dbName = `chat_lookups_${RUN_ID}`;
  let mongo: MongoClient;
  let postgres: pg.Client;

  before(async function () {
    mongo = await new MongoClient(MONGO_URL).connect();
    if ((await detectDialect(mongo.db(dbName))).server !== 'ferretdb') this.skip();
    postgres = new pg.Client({ connectionString: loadConfig(servicesEnv).ferretPostgresUrl });
    await postgres.connect();
  });

  after(async () => {
    await mongo?.db(dbName).dropDatabase();
    await mongo?.close();
    await postgres?.end();
  });

  it('gives the first field of every index a GIN index, and PostgreSQL uses it for an equality lookup', async () => {
    const db = mongo.db(dbName);
    await ensureIndexes(db);
    const conversations = Array.from({ length: 50 }, () => randomUUID());
    const docs = conversations.flatMap((conversationId) =>
      Array.from({ length: 40 }, (_, i) => ({
        _id: randomUUID(),
        conversationId,
        seq: i + 1,
        senderId: randomUUID(),
        clientMsgId: randomUUID(),
        body: 'x'.repeat(100),
        createdAt: new Date(),
      })),
    );
    await db.collection('messages').insertMany(docs as never[]);
    const { rows } = await postgres.query<{ tablename: string; indexdef: string }>(
      `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename LIKE 'messages%'`,
      [dbName],
    );
    const lookups = rows.filter((row) => row.indexdef.includes('USING gin')).map((row) => row.indexdef);
    for (const field of ['_id', 'conversationId', 'messageId', 'senderId'])
      expect(
        lookups.some((def) => def.includes(`'${field}'::text`) && def.includes('jsonb_path_ops')),
        field,
      ).to.equal(true);

    const table = rows[0]?.tablename ?? '';
    await postgres.query(`ANALYZE "${dbName}"."${table}"`);
    await postgres.query('SET plan_cache_mode = force_custom_plan');
    await postgres.query(
      `PREPARE lookup(text, jsonb) AS SELECT _jsonb FROM "${dbName}"."${table}" WHERE _jsonb->$1 @> $2`,
    );
    for (const [field, value] of [
      ['_id', docs[7]?._id],
      ['conversationId', conversations[3]],
    ]) {
      const args = `${postgres.escapeLiteral(field ?? '')}, ${postgres.escapeLiteral(JSON.stringify(value))}`;
      const plan = await postgres.query(`EXPLAIN (FORMAT JSON) EXECUTE lookup(${args})`);
      const text = JSON.stringify(plan.rows[0]);
      expect(text, field).to.include('Bitmap Index Scan');
      expect(text, field).to.not.include('Seq Scan');
    }
    await postgres.query('DEALLOCATE lookup');
  });
});
