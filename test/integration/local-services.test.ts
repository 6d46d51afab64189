import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, servicesEnv } from '@chat/config';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { pidListeningOn } from '../../bench/src/procfs/listening-pid.js';
import { ensureServices } from '../../scripts/src/services/ensure-services.js';
import { FERRETDB_GO_THREADS } from '../../scripts/src/services/ferretdb.js';
import { overLocalSocket, POSTGRES_SOCKET_DIRECTORIES } from '../../scripts/src/services/postgres-socket.js';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';

describe('local services', function () {
  this.timeout(60_000);

  it('finds everything already reachable on a second look, and starts nothing', async () => {
    const lines: string[] = [];
    const services = await ensureServices(process.env, (line) => lines.push(line));
    expect(services.started).to.deep.equal([]);
    expect(lines).to.deep.equal([]);
  });

  it('serves the MongoDB wire protocol at MONGO_URL: FerretDB 1.24 here, or a real MongoDB', async () => {
    const client = await new MongoClient(MONGO_URL).connect();
    try {
      const info = await client.db(MONGO_DB).admin().command({ buildInfo: 1 });
      if (info.ferretdbVersion !== undefined) expect(String(info.ferretdbVersion)).to.match(/^v?1\.24\./);
      else expect(Number(String(info.version).split('.')[0])).to.be.at.least(7);
      await client
        .db(MONGO_DB)
        .collection('probe')
        .insertOne({ _id: 'x' } as never);
      expect(await client.db(MONGO_DB).collection('probe').countDocuments()).to.equal(1);
    } finally {
      await client.close();
    }
  });

  it('runs a FerretDB it started with one Go scheduler thread, unless GOMAXPROCS says otherwise', async function () {
    const client = await new MongoClient(MONGO_URL).connect();
    const info = await client
      .db(MONGO_DB)
      .admin()
      .command({ buildInfo: 1 })
      .finally(() => client.close());
    if (info.ferretdbVersion === undefined) this.skip();
    const pid = pidListeningOn(Number(new URL(MONGO_URL).port || 27017));
    if (pid === undefined) this.skip();
    const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environment).to.include(`GOMAXPROCS=${process.env.GOMAXPROCS ?? FERRETDB_GO_THREADS}`);
  });

  it('runs a FerretDB it started on PostgreSQL over its Unix socket, when PostgreSQL is on this machine', async function () {
    const client = await new MongoClient(MONGO_URL).connect();
    try {
      const info = await client.db(MONGO_DB).admin().command({ buildInfo: 1 });
      if (info.ferretdbVersion === undefined) this.skip();
      // FerretDB opens its PostgreSQL connections as the commands need them.
      await client.db(MONGO_DB).collection('probe').findOne({});
    } finally {
      await client.close();
    }
    const postgresUrl = new URL(loadConfig(servicesEnv).ferretPostgresUrl);
    const socketHere = POSTGRES_SOCKET_DIRECTORIES.some((directory) =>
      existsSync(`${directory}/.s.PGSQL.${postgresUrl.port || 5432}`),
    );
    if (!socketHere || postgresUrl.searchParams.has('host')) this.skip();
    const database = decodeURIComponent(postgresUrl.pathname.slice(1));
    postgresUrl.pathname = '/postgres';
    const postgres = new pg.Client({ connectionString: postgresUrl.toString() });
    await postgres.connect();
    try {
      const { rows } = await postgres.query<{ local: number; tcp: number }>(
        `SELECT count(*) FILTER (WHERE client_addr IS NULL)::int AS local,
                count(*) FILTER (WHERE client_addr IS NOT NULL)::int AS tcp
         FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
        [database],
      );
      expect(rows[0]).to.deep.include({ tcp: 0 });
      expect(rows[0]?.local).to.be.greaterThan(0);
    } finally {
      await postgres.end();
    }
  });

  it('leaves a PostgreSQL URL that names another machine, or its own socket, as it is', async () => {
    const remote = 'postgres://postgres@db.internal:5432/ferretdb';
    const ownSocket = 'postgres://postgres@127.0.0.1:5432/ferretdb?host=%2Fsomewhere%2Felse';
    expect(await overLocalSocket(remote)).to.equal(remote);
    expect(await overLocalSocket(ownSocket)).to.equal(ownSocket);
  });
});
