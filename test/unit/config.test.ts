import { authEnv, ConfigError, loadConfig, notifierEnv, persisterEnv, wsEdgeEnv } from '@chat/config';
import { expect } from 'chai';

describe('configuration', () => {
  it('runs on localhost defaults with an empty environment', () => {
    const config = loadConfig(authEnv, {});
    expect(config.http).to.deep.equal({ host: '127.0.0.1', port: 8080, trustProxy: false, allowedOrigins: [] });
    expect(config.mongo).to.deep.equal({
      url: 'mongodb://127.0.0.1:27017',
      dbName: 'chat',
      timeoutMs: 5_000,
      socketTimeoutMs: 30_000,
    });
    expect(config.redis.url).to.equal('redis://127.0.0.1:6379');
    expect(config.argon2).to.deep.equal({ memoryCost: 65_536, timeCost: 3, parallelism: 4 });
  });

  it('takes AUTH_ALLOWED_ORIGINS as exact origins or `*`, and refuses a path or a bare name', () => {
    const origins = 'https://chat.example.org, http://localhost:8088';
    expect(loadConfig(authEnv, { AUTH_ALLOWED_ORIGINS: origins }).http.allowedOrigins).to.deep.equal([
      'https://chat.example.org',
      'http://localhost:8088',
    ]);
    expect(loadConfig(authEnv, { AUTH_ALLOWED_ORIGINS: '*' }).http.allowedOrigins).to.deep.equal(['*']);
    for (const bad of ['https://chat.example.org/', 'chat.example.org', 'https://chat.example.org/app']) {
      expect(() => loadConfig(authEnv, { AUTH_ALLOWED_ORIGINS: bad }), bad).to.throw(
        ConfigError,
        /AUTH_ALLOWED_ORIGINS/,
      );
    }
  });

  it('reports every bad value at once, naming the variable, hiding secrets', () => {
    let error: unknown;
    try {
      loadConfig(authEnv, { PORT: 'eighty', MONGO_URL: 'http://user:hunter2@db', ARGON2_MEMORY_KIB: '1024' });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).to.have.length(3);
    expect(problems.join('\n')).to.match(/PORT: .*\("eighty"\)/);
    expect(problems.join('\n')).to.match(/MONGO_URL: must be a URL with protocol mongodb: or mongodb\+srv:/);
    expect(problems.join('\n')).not.to.include('hunter2');
    expect(problems.join('\n')).to.match(/ARGON2_MEMORY_KIB/);
  });

  it('allows any browser Origin only when configured with * or on a loopback HOST', () => {
    const origins = (env: Record<string, string>) => loadConfig(wsEdgeEnv, env).limits.allowedOrigins;
    expect(origins({})).to.deep.equal({ any: true, reason: 'local run' });
    expect(origins({ HOST: '::1' })).to.deep.equal({ any: true, reason: 'local run' });
    expect(origins({ HOST: '0.0.0.0' })).to.deep.equal({ any: false, origins: [] });
    expect(origins({ HOST: '0.0.0.0', WS_ALLOWED_ORIGINS: '*' })).to.deep.equal({ any: true, reason: 'configured' });
    expect(origins({ HOST: '127.0.0.1', WS_ALLOWED_ORIGINS: 'https://a.example,https://b.example' })).to.deep.equal({
      any: false,
      origins: ['https://a.example', 'https://b.example'],
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig(authEnv, { PORT: '' }).http.port).to.equal(8080);
  });

  it('parses the retry ladder and rejects a malformed one', () => {
    expect(loadConfig(persisterEnv, { RETRY_DELAYS_MS: '100, 200,300' }).retryDelaysMs).to.deep.equal([100, 200, 300]);
    expect(() => loadConfig(persisterEnv, { RETRY_DELAYS_MS: '100,-1' })).to.throw(ConfigError, /RETRY_DELAYS_MS/);
  });

  it('requires a webhook secret when a webhook URL is set', () => {
    expect(() => loadConfig(notifierEnv, { NOTIFIER_WEBHOOK_URL: 'http://127.0.0.1:9/hook' })).to.throw(
      ConfigError,
      /NOTIFIER_WEBHOOK_SECRET: is required/,
    );
    const ok = loadConfig(notifierEnv, {
      NOTIFIER_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
      NOTIFIER_WEBHOOK_SECRET: 'a-secret-of-some-length',
    });
    expect(ok.webhook?.url).to.equal('http://127.0.0.1:9/hook');
  });

  it('paces notifications between the collapse window and a longest window no shorter than it', () => {
    expect(loadConfig(notifierEnv, {})).to.include({ collapseMs: 2_000, collapseMaxMs: 60_000 });
    expect(() => loadConfig(notifierEnv, { NOTIFIER_COLLAPSE_MS: '5000', NOTIFIER_COLLAPSE_MAX_MS: '4000' })).to.throw(
      ConfigError,
      /NOTIFIER_COLLAPSE_MAX_MS: must be at least NOTIFIER_COLLAPSE_MS/,
    );
  });

  it('offers the queue board only with credentials, read-only and on loopback host names unless configured', () => {
    const board = (env: Record<string, string>) => loadConfig(notifierEnv, env).board;
    expect(board({})).to.equal(undefined);
    expect(board({ NOTIFIER_BOARD_READ_WRITE: 'true' })).to.equal(undefined);
    expect(board({ PORT: '9000', NOTIFIER_BOARD_TOKEN: 'a-token-of-some-length' })).to.deep.equal({
      credentials: { token: 'a-token-of-some-length', basic: undefined },
      readWrite: false,
      allowedHosts: ['localhost:9000', '127.0.0.1:9000', '[::1]:9000'],
    });
    expect(
      board({
        NOTIFIER_BOARD_USER: 'ops',
        NOTIFIER_BOARD_PASSWORD: 'a-password-of-some-length',
        NOTIFIER_BOARD_READ_WRITE: 'true',
        NOTIFIER_BOARD_ALLOWED_HOSTS: 'Board.Example, 10.0.0.5:8083,[fd00::1]:8083',
      }),
    ).to.deep.equal({
      credentials: { token: undefined, basic: { user: 'ops', password: 'a-password-of-some-length' } },
      readWrite: true,
      allowedHosts: ['board.example', '10.0.0.5:8083', '[fd00::1]:8083'],
    });
    expect(() => board({ NOTIFIER_BOARD_USER: 'ops' })).to.throw(
      ConfigError,
      /NOTIFIER_BOARD_PASSWORD: is required when NOTIFIER_BOARD_USER is set/,
    );
    expect(() => board({ NOTIFIER_BOARD_PASSWORD: 'a-password-of-some-length' })).to.throw(
      ConfigError,
      /NOTIFIER_BOARD_USER: is required when NOTIFIER_BOARD_PASSWORD is set/,
    );
    expect(() => board({ NOTIFIER_BOARD_USER: 'o:ps', NOTIFIER_BOARD_PASSWORD: 'a-password-of-some-length' })).to.throw(
      ConfigError,
      /NOTIFIER_BOARD_USER/,
    );
    let error: unknown;
    try {
      board({ NOTIFIER_BOARD_TOKEN: 'short-token', NOTIFIER_BOARD_ALLOWED_HOSTS: 'https://board.example/' });
    } catch (caught) {
      error = caught;
    }
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).to.match(/NOTIFIER_BOARD_TOKEN: must be at least 16 characters \(set \(hidden\)\)/);
    expect(problems).to.match(/NOTIFIER_BOARD_ALLOWED_HOSTS: must be host names/);
    expect(problems).not.to.include('short-token');
  });

  it('names an edge node after host and port unless NODE_ID says otherwise, and validates it', () => {
    expect(loadConfig(wsEdgeEnv, { PORT: '9001' }).nodeId).to.match(/-9001$/);
    expect(loadConfig(wsEdgeEnv, { NODE_ID: 'edge-a' }).nodeId).to.equal('edge-a');
    expect(() => loadConfig(wsEdgeEnv, { NODE_ID: 'edge a/../b' })).to.throw(ConfigError, /NODE_ID/);
  });

  it('accepts a PEM key with escaped newlines, as secret stores flatten them', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----';
    expect(loadConfig(authEnv, { JWT_PRIVATE_KEY: pem }).tokens.privateKeyPem).to.include('\nabc\n');
    expect(() => loadConfig(authEnv, { JWT_PRIVATE_KEY: 'not a pem' })).to.throw(ConfigError, /JWT_PRIVATE_KEY/);
  });
});
