import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ensureServices } from '../../scripts/src/services/ensure-services.js';
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
});
