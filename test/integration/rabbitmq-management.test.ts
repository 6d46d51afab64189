import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  exposedAddresses,
  externalAddresses,
  keepManagementOnLoopback,
} from '../../scripts/src/services/rabbitmq-management.js';
import { type PrivateBroker, startPrivateBroker } from '../support/private-services.js';

/**
 * `npm start` enables the management plugin on the machine's broker, whose default is every
 * interface. Reproduced on a broker of the test's own, started the way RabbitMQ ships.
 */
describe('RabbitMQ management stays on loopback', function () {
  this.timeout(180_000);
  let broker: PrivateBroker;

  before(async function () {
    // Exposure is seen by connecting from another address of this machine; without one there is nothing to see.
    if (externalAddresses().length === 0) this.skip();
    broker = await startPrivateBroker({ managementIp: '' });
  });

  after(async () => {
    await broker?.destroy();
  });

  it('moves a console listening on every interface to 127.0.0.1, and keeps it there across a restart', async () => {
    // The private node runs as us, so the CLI beside the server (not the /usr/sbin wrapper) has its cookie.
    const node = {
      ctl: '/usr/lib/rabbitmq/bin/rabbitmqctl',
      nodeName: broker.nodeName,
      configFile: broker.configFile,
    };
    expect(await exposedAddresses(broker.managementPort)).to.not.be.empty;
    const lines: string[] = [];
    await keepManagementOnLoopback(node, broker.managementPort, (line) => lines.push(line));
    expect(await exposedAddresses(broker.managementPort)).to.deep.equal([]);
    expect(lines.join('\n')).to.match(/restarting it on 127\.0\.0\.1/);
    expect(readFileSync(broker.configFile, 'utf8')).to.match(/^management\.tcp\.ip = 127\.0\.0\.1$/m);
    // The console still answers on loopback.
    expect((await fetch(`${broker.managementUrl}/api/overview`)).status).to.equal(401);

    await broker.kill();
    await broker.restart();
    expect(await exposedAddresses(broker.managementPort)).to.deep.equal([]);
    // A second run finds nothing to change and says nothing.
    const again: string[] = [];
    await keepManagementOnLoopback(node, broker.managementPort, (line) => again.push(line));
    expect(again).to.deep.equal([]);
  });
});
