import { metricsListenConfig } from '@chat/config';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { get } from '../support/http.js';
import { isolatedVhost } from '../support/private-services.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser } from '../support/users.js';
import { eventually } from '../support/wait.js';

/** Metrics are not on the public ports, and clients cannot mint series (issue 10, item 8). */
describe('metrics listener', function () {
  this.timeout(60_000);
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;

  before(async () => {
    vhost = await isolatedVhost('metrics');
    system = await startSystem({ edges: 1, persisters: 1, env: { AMQP_URL: vhost.amqpUrl } });
  });

  after(async () => {
    await system?.stop();
    await vhost?.remove();
  });

  it('serves /metrics on a loopback listener of its own, PORT + 1000 unless set, never on the API port', async () => {
    expect(metricsListenConfig({ PORT: 8081, METRICS_HOST: '127.0.0.1' })).to.deep.equal({
      host: '127.0.0.1',
      port: 9081,
    });
    for (const app of [system.auth, system.edges[0], system.persisters[0]]) {
      expect((await get(`${app?.url}/metrics`)).status, `${app?.name} API port`).to.equal(404);
      const scrape = await get(`${app?.metricsUrl}/metrics`);
      expect(scrape.status).to.equal(200);
      expect(scrape.text).to.include('process_resident_memory_bytes');
      expect((await get(`${app?.metricsUrl}/healthz`)).status).to.equal(404);
    }
  });

  it('counts a close code the client chose as "other", so clients cannot create series', async () => {
    const user = await registerUser(system.auth.url, 'closer');
    const url = `${system.edges[0]?.url.replace('http', 'ws')}/ws`;
    const codes = Array.from({ length: 20 }, (_, i) => 4100 + i);
    for (const code of codes) {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${user.accessToken}` } });
      await new Promise((resolve, reject) => {
        ws.once('message', resolve);
        ws.once('error', reject);
      });
      ws.close(code, 'bye');
      await new Promise((resolve) => ws.once('close', resolve));
    }
    const closes = await eventually('20 closes counted', async () => {
      const text = (await get(`${system.edges[0]?.metricsUrl}/metrics`)).text;
      const other = /chat_edge_closes_total\{[^}]*code="other"[^}]*\} (\d+)/.exec(text);
      return Number(other?.[1] ?? 0) >= codes.length ? text : undefined;
    });
    for (const code of codes) expect(closes).to.not.include(`code="${code}"`);
  });
});
