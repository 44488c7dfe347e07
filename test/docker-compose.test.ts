import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROLE_NAMES } from '../src/workers/roles';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/contracts/search-attributes';
import { NAMESPACE_RETENTION_SECONDS } from '../src/queues/catalogue';
import { loadConfig } from '../src/config';
import { SHUTDOWN_FORCE_MARGIN_SECONDS } from '../src/workers/worker-sizing';
import { FAIRNESS_DYNAMIC_CONFIG } from '../scripts/stack/services/temporal';

const root = path.resolve(__dirname, '..');
// `merge`: the roles inherit their settings through `<<: *service`.
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string | { context?: string; target?: string };
      command?: string[] | string;
      environment?: Record<string, string>;
      healthcheck?: { test?: string[] };
      depends_on?: string[] | Record<string, unknown>;
      stop_grace_period?: string;
      configs?: { source: string; target: string }[];
    }
  >;
  configs?: Record<string, { content?: string }>;
};

/** The service names the README's Docker section promises, written there as `name`. */
function servicesNamedInReadme(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## Docker$/m)[1]?.split(/^## /m)[0] ?? '';
  const paragraph = section.split(/^The `Dockerfile`/m)[0] ?? '';
  return [...paragraph.matchAll(/`([a-z][a-z0-9-]*)`/g)]
    .map((match) => match[1]!)
    .filter((name) => name !== 'docker-compose');
}

describe('docker-compose.yml', () => {
  it('has every service the README names', () => {
    const named = servicesNamedInReadme();
    expect(named).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'redis', 'sqs', 'temporal-worker']),
    );
    for (const name of named) expect({ name, defined: name in compose.services }).toEqual({ name, defined: true });
  });

  it('builds the roles from the service stage and the simulator from its own image', () => {
    for (const name of [...ROLE_NAMES, 'migrate', 'provision']) {
      expect({ name, build: compose.services[name]?.build }).toEqual({
        name,
        build: { context: '.', target: 'service' },
      });
    }
    const simulator = compose.services['marketplace-simulator'];
    expect(simulator?.build).toEqual({ context: '.', target: 'simulator' });
    expect(simulator?.image).not.toBe('seller-workflows:local');
  });

  it('runs Redis as BullMQ needs it: AOF every second, no eviction', () => {
    const command = compose.services.redis?.command as string[];
    expect(command.join(' ')).toContain('--appendonly yes --appendfsync everysec --maxmemory-policy noeviction');
  });

  it('registers every custom search attribute the workflows use', () => {
    const setup = JSON.stringify(compose.services['temporal-setup']?.command);
    for (const key of CUSTOM_SEARCH_ATTRIBUTES) expect(setup).toContain(key.name);
  });

  it('keeps closed Temporal runs as long as the poller may need them (NAMESPACE_RETENTION_SECONDS)', () => {
    const setup = JSON.stringify(compose.services['temporal-setup']?.command);
    expect(setup).toContain(
      `namespace update --address temporal:7233 --namespace default --retention ${NAMESPACE_RETENTION_SECONDS / 3600}h`,
    );
  });

  it('runs Temporal with per-seller fairness on, as the local stack does (FAIRNESS_DYNAMIC_CONFIG)', () => {
    const temporal = compose.services.temporal!;
    const mounted = temporal.configs?.find(
      (config) => config.target === temporal.environment?.DYNAMIC_CONFIG_FILE_PATH,
    );
    const dynamicConfig = parse(compose.configs?.[mounted?.source ?? '']?.content ?? '') as Record<
      string,
      { value: unknown }[]
    >;
    for (const [key, value] of Object.entries(FAIRNESS_DYNAMIC_CONFIG))
      expect({ key, value: String(dynamicConfig?.[key]?.[0]?.value) }).toEqual({ key, value });
  });

  it('gives every role of the service the variables the configuration requires', () => {
    // The marketplace simulator shares the image but is a stand-in for the marketplaces, not a role.
    const roles = Object.entries(compose.services).filter(
      ([name, service]) => service.image === 'seller-workflows:local' && name !== 'marketplace-simulator',
    );
    expect(roles.map(([name]) => name)).toEqual(expect.arrayContaining([...ROLE_NAMES, 'migrate', 'provision']));
    for (const [, service] of roles) {
      expect(Object.keys(service.environment ?? {})).toEqual(
        expect.arrayContaining(['TEMPORAL_ADDRESS', 'REDIS_URL', 'DATABASE_URL', 'AWS_REGION', 'SQS_ENDPOINT']),
      );
    }
  });

  it('gives the Temporal worker what the marketplaces and the credential store need', () => {
    expect(Object.keys(compose.services['temporal-worker']?.environment ?? {})).toEqual(
      expect.arrayContaining([
        'CREDENTIALS_KEYS',
        'CREDENTIALS_ACTIVE_KEY_ID',
        'MARKETPLACE_AJIO_URL',
        'MARKETPLACE_AMAZON_URL',
        'MARKETPLACE_FLIPKART_URL',
        'MARKETPLACE_MEESHO_URL',
        'MARKETPLACE_ALLOW_HTTP',
        'AMAZON_LWA_CLIENT_ID',
        'AMAZON_LWA_CLIENT_SECRET',
        'DOCUMENT_STORE_DIR',
      ]),
    );
  });

  it('runs every long-running role with a readiness healthcheck, CloudWatch and its own variables', () => {
    // Each role's command (node, its Node flags, its compiled entry) is test/roles.test.ts's.
    for (const name of ROLE_NAMES) {
      const service = compose.services[name];
      expect({ name, healthcheck: service?.healthcheck?.test?.join(' ') }).toEqual({
        name,
        healthcheck: expect.stringContaining(`127.0.0.1:${service?.environment?.HEALTH_PORT}/readyz`),
      });
      expect(Object.keys(service?.environment ?? {})).toEqual(
        expect.arrayContaining(['CLOUDWATCH_ENDPOINT', 'METRICS_NAMESPACE', 'HEALTH_PORT']),
      );
    }
    expect(compose.services['admin-worker']?.environment?.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?/);
    expect(compose.services['provision']?.depends_on).toEqual(expect.arrayContaining(['cloudwatch']));
  });

  it("lets the demo's worker reach the simulator over http:// only because its MARKETPLACE_ALLOW_HTTP says so", () => {
    const environment = compose.services['temporal-worker']?.environment ?? {};
    // `${NAME:-default}`: what the demo runs with when the operator sets nothing.
    const defaults = Object.fromEntries(
      Object.entries(environment)
        .filter(([name]) => name.startsWith('MARKETPLACE_'))
        .map(([name, value]) => [name, /^\$\{\w+:-(.*)\}$/.exec(value)?.[1] ?? value]),
    );
    expect(defaults.MARKETPLACE_AJIO_URL).toMatch(/^http:\/\//);
    expect(loadConfig({ ...process.env, ...defaults }).marketplaces.urls.ajio).toBe(defaults.MARKETPLACE_AJIO_URL);
    expect(() => loadConfig({ ...process.env, ...defaults, MARKETPLACE_ALLOW_HTTP: 'false' })).toThrow(
      /MARKETPLACE_AJIO_URL must be an https:\/\/ URL/,
    );
  });

  it('gives the Temporal worker more time to stop than its shutdown grace and force time', () => {
    const grace = compose.services['temporal-worker']?.stop_grace_period ?? '10s';
    // The grace the service's environment in the file sets, else the configuration's default.
    const configured = compose.services['temporal-worker']?.environment?.TEMPORAL_WORKER_SHUTDOWN_GRACE_SECONDS;
    const env = { ...process.env, TEMPORAL_WORKER_SHUTDOWN_GRACE_SECONDS: configured };
    const { shutdownGraceSeconds } = loadConfig(env).temporal.worker;
    expect(grace).toMatch(/^\d+s$/);
    expect(Number.parseInt(grace, 10)).toBeGreaterThan(shutdownGraceSeconds + SHUTDOWN_FORCE_MARGIN_SECONDS);
  });

  it('gives the poller more time to stop than it waits for its workflows in flight', () => {
    const grace = compose.services['poller-worker']?.stop_grace_period ?? '10s';
    const configured = compose.services['poller-worker']?.environment?.POLLER_SHUTDOWN_SECONDS;
    const { shutdownSeconds } = loadConfig({ ...process.env, POLLER_SHUTDOWN_SECONDS: configured }).pollers;
    expect(grace).toMatch(/^\d+s$/);
    // Five seconds to give back what is still held and close.
    expect(Number.parseInt(grace, 10)).toBeGreaterThanOrEqual(shutdownSeconds + 5);
  });
});
