/**
 * Every role (src/workers/roles.ts) and command (src/commands) started as an operator would,
 * misconfigured: a variable missing, or a server it needs pointed at a closed port. Each must stop
 * with one line on stderr naming the problem (the variable, and for a server also its name and the
 * error), no stack trace, a non-zero status (2 for configuration, 1 for a server), and within seconds
 * of its start-up wait. test/config/config.test.ts covers the configuration's parsing itself.
 */
import { STARTUP_WAIT_MS } from '../../src/platform/startup-checks';
import { ROLE_NAMES, type RoleName } from '../../src/workers/roles';
import { freePort } from '../../src/platform/free-ports';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import type { Launchable } from '../../scripts/harness/spawn';
import { runEntryPoint } from '../support/run-command';

jest.setTimeout(120_000);

type ServerVariable = 'DATABASE_URL' | 'REDIS_URL' | 'SQS_ENDPOINT' | 'TEMPORAL_ADDRESS';

/** The servers each role needs at start-up; keyed by role, so a role added to the table must appear. */
const ROLE_SERVERS: Record<RoleName, ServerVariable[]> = {
  'admin-worker': ['REDIS_URL'],
  'metrics-worker': ['REDIS_URL', 'DATABASE_URL', 'SQS_ENDPOINT'],
  'poller-worker': ['SQS_ENDPOINT', 'TEMPORAL_ADDRESS'],
  'sweep-worker': ['REDIS_URL', 'DATABASE_URL'],
  'temporal-worker': ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'REDIS_URL'],
};

const ENTRY_POINTS: { entry: Launchable; args?: string[]; servers: ServerVariable[] }[] = [
  ...ROLE_NAMES.map((role) => ({ entry: role, servers: ROLE_SERVERS[role] })),
  { entry: 'src/commands/dlq.ts', args: ['list'], servers: ['DATABASE_URL', 'SQS_ENDPOINT'] },
  { entry: 'src/commands/migrate.ts', servers: ['DATABASE_URL'] },
  { entry: 'src/commands/provision.ts', servers: ['SQS_ENDPOINT'] },
  { entry: 'src/commands/sweep.ts', args: ['scheduling-sweep'], servers: ['DATABASE_URL', 'SQS_ENDPOINT'] },
];

const SERVER_NAMES: Record<ServerVariable, string> = {
  DATABASE_URL: 'PostgreSQL',
  REDIS_URL: 'Redis',
  SQS_ENDPOINT: 'SQS',
  TEMPORAL_ADDRESS: 'Temporal',
};

let t: IsolatedEnvironment;
let unreachablePort: number;

beforeAll(async () => {
  // Migrated and provisioned, so only the server a case breaks is missing.
  [t, unreachablePort] = await Promise.all([isolatedEnvironment(), freePort()]);
});
afterAll(() => t?.cleanup());

const pointedAtClosedPort = (variable: ServerVariable): string =>
  ({
    DATABASE_URL: `postgres://seller@127.0.0.1:${unreachablePort}/seller`,
    REDIS_URL: `redis://127.0.0.1:${unreachablePort}`,
    SQS_ENDPOINT: `http://127.0.0.1:${unreachablePort}`,
    TEMPORAL_ADDRESS: `127.0.0.1:${unreachablePort}`,
  })[variable];

/** Runs `work` over `items`, at most `limit` at once (each case is a process, mostly waiting). */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit)
    results.push(...(await Promise.all(items.slice(i, i + limit).map(work))));
  return results;
}

/** How an entry point ended under `env`: status, its stderr lines, and how long it took. */
async function outcome(entry: Launchable, args: string[] = [], env: NodeJS.ProcessEnv) {
  const started = Date.now();
  const result = await runEntryPoint(entry, {
    args,
    env: { ...t.env, HEALTH_PORT: '0', ADMIN_PORT: '0', TEMPORAL_METRICS_PORT: '0', ...env },
  });
  return { code: result.code, stderr: result.stderr.trim().split('\n'), ms: Date.now() - started };
}

it('each stops with one line naming the missing variable, status 2', async () => {
  const cases: { entry: Launchable; args?: string[]; unset: string }[] = [
    ...ENTRY_POINTS.map(({ entry, args }) => ({ entry, args, unset: 'DATABASE_URL' })),
    { entry: 'temporal-worker', args: [], unset: 'DOCUMENT_STORE_DIR' },
    { entry: 'temporal-worker', args: [], unset: 'CREDENTIALS_KEYS' },
  ];
  const results = await inBatches(cases, 6, async ({ entry, args, unset }) => {
    const { code, stderr } = await outcome(entry, args, { [unset]: '' });
    return { entry, unset, code, stderr };
  });
  expect(results).toEqual(
    cases.map(({ entry, unset }) => ({
      entry,
      unset,
      code: 2,
      stderr: [expect.stringMatching(new RegExp(`^Configuration error: ${unset} (is )?required`))],
    })),
  );
});

it('each stops within seconds with one line naming a server it cannot reach, status 1', async () => {
  const cases = ENTRY_POINTS.flatMap(({ entry, args, servers }) =>
    servers.map((variable) => ({ entry, args, variable })),
  );
  const results = await inBatches(cases, 9, async ({ entry, args, variable }) => {
    const { code, stderr, ms } = await outcome(entry, args, { [variable]: pointedAtClosedPort(variable) });
    return { entry, variable, code, stderr, inTime: ms < STARTUP_WAIT_MS + 20_000 };
  });
  expect(results).toEqual(
    cases.map(({ entry, variable }) => ({
      entry,
      variable,
      code: 1,
      stderr: [
        expect.stringMatching(new RegExp(`^cannot start: ${SERVER_NAMES[variable]} \\(${variable}[^)]*\\): \\S`)),
      ],
      inTime: true,
    })),
  );
});
