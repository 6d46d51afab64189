import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { pidListeningOn } from '../../bench/src/procfs/listening-pid.js';
import { ensureServices } from '../../scripts/src/services/ensure-services.js';
import { FERRETDB_GO_THREADS } from '../../scripts/src/services/ferretdb.js';
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
});
