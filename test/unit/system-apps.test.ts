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
      web: '8088',
    });
    expect(apps.every((a) => a.env.SHARED === 'x')).to.equal(true);
    expect(new Set(apps.filter((a) => a.name.startsWith('ws-edge')).map((a) => a.env.NODE_ID)).size).to.equal(2);
    expect(LOCAL_PORTS.auth).to.equal(8080);
  });

  it("points npm start's web chat at auth and both edges, and allows exactly its origins", () => {
    const apps = systemApps({});
    const env = (name: string) => apps.find((a) => a.name === name)?.env ?? {};
    expect(env('web').WEB_AUTH_URL).to.equal('http://127.0.0.1:8080');
    expect(env('web').WEB_EDGE_URLS).to.equal('ws://127.0.0.1:8081/ws,ws://127.0.0.1:8082/ws');
    const pageOrigins = 'http://localhost:8088,http://127.0.0.1:8088';
    expect(env('auth').AUTH_ALLOWED_ORIGINS).to.equal(pageOrigins);
    for (const edge of ['ws-edge-1', 'ws-edge-2']) expect(env(edge).WS_ALLOWED_ORIGINS, edge).to.equal(pageOrigins);
    expect(env('persister-1').AUTH_ALLOWED_ORIGINS, 'only auth gets it').to.equal(undefined);
    // An operator's own lists win.
    const own = systemApps({
      AUTH_ALLOWED_ORIGINS: 'https://chat.example',
      WS_ALLOWED_ORIGINS: 'https://chat.example',
    });
    expect(own.find((a) => a.name === 'auth')?.env.AUTH_ALLOWED_ORIGINS).to.equal('https://chat.example');
    expect(own.find((a) => a.name === 'ws-edge-1')?.env.WS_ALLOWED_ORIGINS).to.equal('https://chat.example');
  });

  it('describes the web chat only with fixed ports', () => {
    expect(() => describeSystem({ web: true })).to.throw(/fixed ports/);
    expect(describeSystem().some((a) => a.role === 'web')).to.equal(false);
  });
});
