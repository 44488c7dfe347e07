/**
 * `npm run dev`: the whole service on this machine, as a new user should first see it. Brings the
 * stack up, migrates, provisions queues, alarms and dashboard, seeds the demo sellers, starts every
 * role as its own process, waits until each is ready, triggers each sweep once and prints a live
 * summary. Each role's JSON log goes to `.data/logs/<role>.log`; warnings and errors also show here.
 * Ctrl-C stops every role; the stack keeps running (`npm run stack:down`).
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config';
import { SILENT_LOGGER } from '../src/platform/logger';
import { onShutdownSignal, runMain } from '../src/platform/main';
import { createSweepDependencies } from '../src/sweeps/sweep-dependencies';
import { SWEEPS } from '../src/sweeps/registry';
import { runSweep, type SweepDependencies } from '../src/sweeps/run-sweep';
import { createTemporalClient } from '../src/platform/temporal-client';
import { smokeCheckWorkflow } from '../src/workflows';
import { ROLES, type RoleName } from '../src/workers/roles';
import { DemoSummary } from './dev-summary';
import { prepareLocal } from './prepare-local';
import { spawnEntry } from './harness/spawn';
import { seedDemo } from './seed/demo';
import { LOGS_DIR } from './stack/paths';
import { isReady } from './stack/processes';

const ADMIN_PORT = '18100';
/** The Temporal worker's SDK metrics (Prometheus text at /metrics). */
const TEMPORAL_METRICS_PORT = '18109';
/** The first role's health port; each next role of the table takes the next (18101 to 18105). */
const FIRST_HEALTH_PORT = 18101;

/** What `npm run dev` gives a role beyond the stack's environment. */
const DEV_ENV: Partial<Record<RoleName, NodeJS.ProcessEnv>> = {
  'admin-worker': { ADMIN_PORT },
  'temporal-worker': { TEMPORAL_METRICS_PORT },
  // Every 10 s here, so the dashboard moves while you watch.
  'metrics-worker': { METRICS_INTERVAL_SECONDS: '10' },
};

interface DevRole {
  name: RoleName;
  healthPort: number;
  env: NodeJS.ProcessEnv;
}

/** Every role of the service, each its own process as in production, each with its own health port. */
const DEV_ROLES: DevRole[] = ROLES.map((role, index) => ({
  name: role.name,
  healthPort: FIRST_HEALTH_PORT + index,
  env: DEV_ENV[role.name] ?? {},
}));

const NOTEWORTHY_LEVELS = new Set(['warn', 'error', 'fatal']);

/** The role's whole log to its file; warnings, errors and anything not JSON (a crash) to the terminal. */
function relayOutput(role: DevRole, child: ChildProcess): string {
  mkdirSync(LOGS_DIR, { recursive: true });
  const file = path.join(LOGS_DIR, `${role.name}.log`);
  const log = createWriteStream(file, { flags: 'a' });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      const parsed = parseJson(line);
      if (!parsed) console.log(`[${role.name}] ${line}`);
      else if (NOTEWORTHY_LEVELS.has(String(parsed.level)))
        console.log(`[${role.name}] ${parsed.level}: ${parsed.msg}`);
    });
  }
  return file;
}

function parseJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function startRole(role: DevRole): ChildProcess {
  const child = spawnEntry(role.name, {
    env: { ...process.env, HEALTH_PORT: String(role.healthPort), ...role.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Ctrl-C reaches only this supervisor, which then stops each role exactly once.
    detached: true,
  });
  relayOutput(role, child);
  return child;
}

async function waitUntilReady(role: DevRole, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isReady(role.healthPort)) return;
    if (Date.now() > deadline)
      throw new Error(`${role.name} not ready after ${timeoutMs / 1000} s; see .data/logs/${role.name}.log`);
    await sleep(500);
  }
}

async function runSmokeCheck(): Promise<void> {
  const config = loadConfig();
  const client = await createTemporalClient(config);
  try {
    const result = await client.workflow.execute(smokeCheckWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `smoke-check/dev/${Date.now()}`,
      args: ['hello from npm run dev'],
      workflowExecutionTimeout: '1 minute',
    });
    console.log(`smoke check passed: ${result}`);
  } finally {
    await client.connection.close();
  }
}

/** Each sweep once, now, as `npm run sweep` would: the demo need not wait for the next cron tick. */
async function triggerSweeps(deps: SweepDependencies): Promise<void> {
  for (const sweep of SWEEPS) {
    const report = await runSweep(deps, sweep, { trigger: 'manual' });
    console.log(`  ${sweep.name.padEnd(24)} sent ${report.messagesSent}`);
  }
}

function printUrls(): void {
  const ui = `${process.env.TEMPORAL_UI_URL}/namespaces/${process.env.TEMPORAL_NAMESPACE ?? 'default'}/workflows`;
  console.log(`
Temporal UI  ${ui}
             demo sellers: ${ui}?query=${encodeURIComponent('AccountId STARTS_WITH "demo-"')}
Bull Board   http://127.0.0.1:${ADMIN_PORT}/login  (token: ADMIN_TOKEN in .data/stack.env)
CloudWatch   dashboard "local-seller-workflows" and alarms at ${process.env.CLOUDWATCH_ENDPOINT} (moto; read them with the AWS CLI or SDK)
Health       ${DEV_ROLES.map((role) => `${role.name} :${role.healthPort}/readyz`).join(', ')}
Temporal SDK http://127.0.0.1:${TEMPORAL_METRICS_PORT}/metrics  (the worker's Prometheus metrics)
Logs         .data/logs/<role>.log (JSON, one line an event)
`);
}

runMain(async () => {
  await prepareLocal();
  const config = loadConfig();
  const startedAt = new Date();
  const deps = createSweepDependencies(config, SILENT_LOGGER);
  const accounts = await seedDemo(deps.pool, config);
  const sellerCount = new Set(accounts.map((a) => a.sellerId)).size;
  console.log(
    `seeded ${sellerCount} demo sellers with ${accounts.length} accounts (${accounts
      .map((s) => s.accountId)
      .slice(0, 3)
      .join(', ')}, ...)`,
  );

  const children = DEV_ROLES.map((role) => ({ role, child: startRole(role) }));
  const exited = children.map(
    ({ role, child }) =>
      new Promise<void>((resolve) =>
        child.on('exit', (code, signal) => {
          console.log(`[${role.name}] exited (${signal ?? `code ${code}`})`);
          resolve();
        }),
      ),
  );
  process.on('exit', () => children.forEach(({ child }) => child.exitCode === null && child.kill('SIGKILL')));
  const summary = new DemoSummary(config, startedAt);
  let stopping = false;
  onShutdownSignal(async () => {
    stopping = true;
    summary.stop();
    console.log('stopping roles');
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(exited);
    await summary.close();
    process.exit(0);
  });

  await Promise.all(DEV_ROLES.map((role) => waitUntilReady(role)));
  console.log(`roles ready: ${DEV_ROLES.map((role) => role.name).join(', ')}`);
  await runSmokeCheck();
  console.log('triggering each sweep once:');
  await triggerSweeps(deps);
  await deps.close();
  printUrls();
  console.log('live summary (Ctrl-C stops the roles; the stack keeps running: npm run stack:down)');
  summary.start();
  await Promise.all(exited);
  if (!stopping) throw new Error('every role exited on its own; see .data/logs/');
});
