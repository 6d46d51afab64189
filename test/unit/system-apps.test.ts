import { expect } from 'chai';
import { describeSystem, LOCAL_PORTS, systemApps } from '../../scripts/src/system-apps.js';

describe('describeSystem: the one description of a running system', () => {
  it('gives the counts asked for, and every edge its own NODE_ID', () => {
    const apps = describeSystem({ edges: 3, persisters: 1, notifier: false, nodeIdPrefix: 'p' });
    expect(apps.map((a) => a.name)).to.deep.equal([
      'auth',
      'ws-edge-1',
      'ws-edge-2',
      'ws-edge-3',
      'persister-1',
      'presence',
    ]);
    expect(apps.filter((a) => a.role === 'edge').map((a) => a.env.NODE_ID)).to.deep.equal(['p-1', 'p-2', 'p-3']);
    expect(apps.every((a) => a.env.PORT === undefined)).to.equal(true);
  });

  it("keeps npm start's names and README ports", () => {
    const apps = systemApps({ SHARED: 'x' });
    expect(Object.fromEntries(apps.map((a) => [a.name, a.env.PORT]))).to.deep.equal({
      auth: '8080',
      'ws-edge-1': '8081',
      'ws-edge-2': '8082',
      'persister-1': '8085',
      'persister-2': '8086',
      notifier: '8083',
      presence: '8084',
    });
    expect(apps.every((a) => a.env.SHARED === 'x')).to.equal(true);
    expect(new Set(apps.filter((a) => a.name.startsWith('ws-edge')).map((a) => a.env.NODE_ID)).size).to.equal(2);
    expect(LOCAL_PORTS.auth).to.equal(8080);
  });
});
