import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROLE_NAMES } from '../src/workers/roles';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/contracts/search-attributes';
import { NAMESPACE_RETENTION_SECONDS } from '../src/queues/catalogue';
import { loadConfig } from '../src/config';
import { SHUTDOWN_FORCE_MARGIN_SECONDS } from '../src/workers/worker-sizing';
import { FAIRNESS_DYNAMIC_CONFIG } from '../scripts/stack/services/temporal';

/** A `ports` entry: short syntax (`[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`) or long. */
type PortEntry = string | number | { target?: number | string; published?: number | string; host_ip?: string };

const root = path.resolve(__dirname, '..');
const composeText = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
// `merge`: the roles inherit their settings through `<<: *service`.
const compose = parse(composeText, { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      ports?: PortEntry[];
      network_mode?: string;
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

/** Where compose publishes a port when its entry names no host address. */
const ALL_INTERFACES = '';
const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** The host address a `ports` entry listens on. */
function hostAddressOf(port: PortEntry): string {
  if (typeof port === 'number') return ALL_INTERFACES;
  if (typeof port === 'object') return port.host_ip ?? ALL_INTERFACES;
  const bracketed = /^\[([^\]]*)\]:/.exec(port);
  if (bracketed) return bracketed[1]!;
  const fields = port.split(':');
  return fields.length === 3 ? fields[0]! : ALL_INTERFACES;
}

/** An environment variable that holds a secret. */
const SECRET_NAME = /PASSWORD|PWD|SECRET|TOKEN|_KEYS$|_AUTH$/;
/** A variable of the env file that compose refuses to start without: `${NAME:?why}`. */
const REQUIRED_VARIABLE = /^\$\{([A-Z][A-Z0-9_]*):\?[^}]+\}$/;
/** A password in a URL, `scheme://user:password@host`, given literally or as `${...}`. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*):\/\/([^:@/\s]*):(\$\{[^}]*\}|[^@\s/]+)@([^:/\s]+)/g;

type Service = (typeof compose.services)[string];

/** A credential the file gives: the login it opens, where it is given, and the text given. */
interface Credential {
  principal: string;
  where: string;
  value: string;
}

/** Every string of a value however deep: environment, command, healthcheck. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

function urlCredentials(name: string, service: Service): Credential[] {
  return stringsIn(service).flatMap((text) =>
    [...text.matchAll(URL_PASSWORD)].map(([, scheme, user, password, host]) => ({
      principal: `${scheme}://${user}@${host}`,
      where: `${name}: ${scheme} URL`,
      value: password!,
    })),
  );
}

/**
 * The passwords a PostgreSQL init script (a mounted config) gives its roles, with the environment
 * variable each is read from by psql's `\getenv` (none: written in the script).
 */
function rolePasswords(service: Service): { role: string; password: string; variable?: string }[] {
  const scripts = (service.configs ?? []).map((config) => compose.configs?.[config.source]?.content ?? '');
  return scripts.flatMap((script) => {
    const getenv = new Map([...script.matchAll(/\\getenv (\w+) (\w+)/g)].map(([, psql, env]) => [psql!, env!]));
    return [...script.matchAll(/(?:CREATE|ALTER) (?:ROLE|USER) (\w+)[^;]*?PASSWORD\s+([^;\s]+)/gi)].map(
      ([, role, password]) => ({
        role: role!,
        password: password!,
        variable: getenv.get(/^:'(\w+)'$/.exec(password!)?.[1] ?? ''),
      }),
    );
  });
}

function roleScriptCredentials(name: string, service: Service): Credential[] {
  return rolePasswords(service).map(({ role, password, variable }) => ({
    principal: `postgres://${role}@${name}`,
    where: `${name}: init script, role ${role}`,
    value: variable ? String(service.environment?.[variable]) : password,
  }));
}

/** The login a secret's variable opens: the servers' own variables say which; any other is its own. */
function principalOf(name: string, environment: Record<string, string>, key: string): string {
  // The postgres image's superuser (POSTGRES_PASSWORD); Temporal's persistence login (POSTGRES_PWD).
  if (key === 'POSTGRES_PASSWORD' || key === 'POSTGRES_PWD')
    return `postgres://${environment.POSTGRES_USER ?? 'postgres'}@${environment.POSTGRES_SEEDS ?? name}`;
  // redis-cli's password for the server it runs beside.
  if (key === 'REDISCLI_AUTH') return `redis://@${name}`;
  return key;
}

function environmentCredentials(name: string, service: Service): Credential[] {
  const environment = service.environment ?? {};
  const readByRoleScript = new Set(rolePasswords(service).map(({ variable }) => variable));
  return Object.entries(environment)
    .filter(([key]) => SECRET_NAME.test(key) && !readByRoleScript.has(key))
    .map(([key, value]) => ({
      principal: principalOf(name, environment, key),
      where: `${name}: environment ${key}`,
      value: String(value),
    }));
}

function commandCredentials(name: string, service: Service): Credential[] {
  const command = [service.command ?? []].flat().join(' ');
  return [...command.matchAll(/--requirepass\s+(\$\{[^}]*\}|\S+)/g)].map(([, password]) => ({
    principal: `redis://@${name}`,
    where: `${name}: command`,
    value: password!,
  }));
}

/** Every credential docker-compose.yml gives, on the servers' side and on their clients'. */
function credentialsInFile(): Credential[] {
  return Object.entries(compose.services).flatMap(([name, service]) => [
    ...urlCredentials(name, service),
    ...environmentCredentials(name, service),
    ...commandCredentials(name, service),
    ...roleScriptCredentials(name, service),
  ]);
}

/** The variable a credential names (`${NAME...}`), else the literal text. */
function variableOf(value: string): string {
  return /^\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(value)?.[1] ?? value;
}

/** The distinct values of `value` for each `key`, sorted. */
function distinctBy<T>(items: T[], key: (item: T) => string, value: (item: T) => string): Map<string, string[]> {
  const groups = new Map<string, Set<string>>();
  for (const item of items) groups.set(key(item), (groups.get(key(item)) ?? new Set()).add(value(item)));
  return new Map([...groups].map(([name, values]) => [name, [...values].sort()]));
}

function gitIgnores(file: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '--quiet', file], { cwd: root });
    return true;
  } catch (error) {
    if ((error as { status?: number }).status === 1) return false;
    throw error;
  }
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

describe('docker-compose.yml as a production template: nothing open beyond loopback, a secret per login', () => {
  it('reads where a port entry listens, in short and long syntax', () => {
    const entries: PortEntry[] = [
      '7233',
      7233,
      '7233:7233',
      '0.0.0.0:7233:7233',
      '127.0.0.1:7233:7233',
      '127.0.0.1::7233/udp',
      '[::1]:7233:7233',
      { target: 7233, published: 7233 },
      { target: 7233, published: 7233, host_ip: '127.0.0.1' },
    ];
    expect(entries.map(hostAddressOf)).toEqual([
      '',
      '',
      '',
      '0.0.0.0',
      '127.0.0.1',
      '127.0.0.1',
      '::1',
      '',
      '127.0.0.1',
    ]);
  });

  it('publishes every port on the host loopback only, and no service shares the host network', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, port, loopback: LOOPBACK.has(hostAddressOf(port)) })),
    );
    expect(published.length).toBeGreaterThan(0);
    for (const entry of published) expect(entry).toEqual({ ...entry, loopback: true });
    const hostNetwork = Object.entries(compose.services).filter(([, service]) => service.network_mode === 'host');
    expect(hostNetwork.map(([name]) => name)).toEqual([]);
  });

  it("checks Redis's health with its password: only PONG counts (redis-cli exits 0 on NOAUTH too)", () => {
    const redis = compose.services.redis!;
    expect(redis.healthcheck?.test?.join(' ')).toContain('redis-cli ping | grep -q PONG');
  });

  it('runs the Temporal UI read-only (no terminate, cancel, signal or reset)', () => {
    expect(compose.services['temporal-ui']?.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
  });

  it('takes every credential from a required variable of the env file and writes none in the file', () => {
    const credentials = credentialsInFile();
    expect(credentials.map(({ principal }) => principal)).toEqual(
      expect.arrayContaining([
        'postgres://postgres@postgresql',
        'postgres://seller@postgresql',
        'postgres://temporal@postgresql',
        'redis://@redis',
        'ADMIN_TOKEN',
        'CREDENTIALS_KEYS',
      ]),
    );
    for (const credential of credentials)
      expect({ ...credential, required: REQUIRED_VARIABLE.test(credential.value) }).toEqual({
        ...credential,
        required: true,
      });
  });

  it('gives each login its own variable, the same at the server and at its clients', () => {
    const credentials = credentialsInFile();
    const loginsOfVariable = distinctBy(
      credentials,
      ({ value }) => variableOf(value),
      ({ principal }) => principal,
    );
    for (const [variable, logins] of loginsOfVariable)
      expect({ variable, logins }).toEqual({ variable, logins: [logins[0]] });
    const variablesOfLogin = distinctBy(
      credentials,
      ({ principal }) => principal,
      ({ value }) => variableOf(value),
    );
    for (const [login, variables] of variablesOfLogin)
      expect({ login, variables }).toEqual({ login, variables: [variables[0]] });
  });

  it('lists every variable compose requires in .env.example, empty, and keeps .env out of git', () => {
    const required = new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map(([, name]) => name!));
    const example = readFileSync(path.join(root, '.env.example'), 'utf8');
    const listed = new Map(
      [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => [name!, value]),
    );
    expect(required.size).toBeGreaterThan(0);
    for (const variable of required) expect({ variable, value: listed.get(variable) }).toEqual({ variable, value: '' });
    expect(gitIgnores('.env')).toBe(true);
    expect(gitIgnores('.env.example')).toBe(false);
  });
});
