import { expect } from 'chai';
import { type AppName, startApp } from '../support/app-process.js';
import { get } from '../support/http.js';

describe('every app process', function () {
  this.timeout(60_000);
  const apps: AppName[] = ['auth', 'ws-edge', 'persister', 'notifier', 'presence', 'web'];
  const ownMetric: Record<AppName, string> = {
    auth: 'chat_auth_logins_total',
    'ws-edge': 'chat_edge_sessions',
    persister: 'chat_persister_batch_duration_seconds',
    notifier: 'chat_notifier_jobs',
    presence: 'chat_presence_transitions_total',
    web: 'chat_web_requests_total',
  };

  for (const app of apps) {
    it(`${app} starts, logs, answers /healthz, and exits 0 on SIGTERM`, async () => {
      const processHandle = await startApp(app, { LOG_LEVEL: 'info' });
      const health = await get(`${processHandle.url}/healthz`);
      expect(health.status).to.equal(200);
      expect(health.body).to.deep.equal({ status: 'ok' });
      // Metrics have a listener of their own; the app's own port does not serve them.
      expect((await get(`${processHandle.url}/metrics`)).status).to.equal(404);
      const metrics = await get(`${processHandle.metricsUrl}/metrics`);
      expect(metrics.status).to.equal(200);
      expect(metrics.text).to.include(`# TYPE ${ownMetric[app]} `);
      expect(metrics.text).to.match(/^nodejs_eventloop_lag_seconds\{app="[a-z-]+",instance="[^"]+"\} /m);
      const missing = await get(`${processHandle.url}/no-such-route`);
      expect(missing.status).to.equal(404);
      expect(missing.body.error.code).to.equal('not_found');
      expect(await processHandle.stop()).to.equal(0);
      const lines = processHandle
        .output()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { app: string; msg: string });
      expect(lines.every((line) => line.app === app)).to.equal(true);
      expect(lines.map((line) => line.msg)).to.include.members(['stopping', 'stopped']);
    });
  }

  it('refuses to start on a bad configuration and says which variable is wrong', async () => {
    let failure: Error | undefined;
    try {
      await startApp('persister', { MONGO_URL: 'not-a-url', PORT: '1' }, { port: 0 });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(/exited with 1/);
    expect(failure?.message).to.match(/MONGO_URL: must be a URL/);
  });
});
