/**
 * One chaos run: fresh private servers, the roles as child processes, seeded data and traffic, the
 * planned kills, restarts and marketplace faults, a drain, and the checks. See docs/chaos.md.
 */
import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'pg';
import { loadConfig, type Config } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { SimulatorControl } from '../../simulator/src/control';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { QUEUES } from '../../src/queues/catalogue';
import { provisionQueues } from '../../src/queues/provision';
import { QueueDirectory } from '../../src/queues/queue-urls';
import { createSqsClient } from '../../src/platform/sqs-client';
import { createTemporalClient } from '../../src/platform/temporal-client';
import type { RoleName } from '../../src/workers/roles';
import type { Launchable } from '../harness/spawn';
import { portFromEnv } from '../stack/service';
import { loadStackEnv } from '../stack/stack';
import { runEvents, type EventTargets, type FiredEvent } from './events';
import { recoveryCheck, recoveryFigures, unsentClaims, type InterruptedSweep, type RecoveryFigures } from './recovery';
import { runMarketplaceOrders } from './marketplace-orders';
import { waitForPublishes } from './oracles/listings';
import { planChaos, type ChaosOptions, type ChaosPlan, type ChaosSqsServer } from './plan';
import { runToEnd, spawnLogged, SupervisedRole, type RoleExit } from './roles';
import { CHAOS_DIR, chaosServers, serverEnv, startFresh, stopAll } from './servers';
import { SqsFaultProxy, type SqsAnswerFamily } from './sqs-proxy';
import { verify, type Check } from './verify';
import {
  claimsInFlight,
  lastRoundAtMs,
  produce,
  scheduleCount,
  seedDueSchedules,
  seedWorkload,
  sentClaims,
  type SeededSchedule,
  type Sent,
} from './workload';

/** Short enough that claims a killed sweep left behind expire within the run. */
const CLAIM_LEASE_SECONDS = 15;
/** SWEEP_CLAIM_LEASE_SECONDS' default, and the scheduling sweep's tick period (every five minutes). */
const PRODUCTION_LEASE_SECONDS = 300;
const SWEEP_TICK_SECONDS = 300;
/** After lease + tick: time for the resent messages' sweep itself to finish. */
const RECOVERY_MARGIN_SECONDS = 60;
/** Short enough that the planned timeouts cost seconds, not the default 15. */
const MARKETPLACE_TIMEOUT_MS = 3_000;
const LOGS = path.join(CHAOS_DIR, 'logs');
/** How long the end waits for the orders' stock publishes to be sent and handled before comparing listings. */
const PUBLISH_SETTLE_SECONDS = 180;

export interface ChaosReport {
  seed: number;
  options: ChaosOptions;
  events: FiredEvent[];
  exits: RoleExit[];
  checks: Check[];
  /** Each message a killed sweep left unsent: from the kill to its workflow's start. */
  recovery: RecoveryFigures;
  /** Answers the SQS fault proxy lost after SQS applied the call, per family: a figure, not a violation. */
  sqsAnswersLost: Record<SqsAnswerFamily, number>;
  seconds: number;
  passed: boolean;
}

/** The stack's endpoint of each SQS server (.data/stack.env). */
const SQS_ENDPOINT_VARIABLES: Record<ChaosSqsServer, string> = {
  elasticmq: 'ELASTICMQ_ENDPOINT',
  fauxqs: 'SQS_ENDPOINT',
};

function sqsEndpointOf(server: ChaosSqsServer): string {
  const variable = SQS_ENDPOINT_VARIABLES[server];
  const endpoint = process.env[variable];
  if (!endpoint) throw new Error(`--sqs ${server} needs ${variable} (.data/stack.env, written by stack:up)`);
  return endpoint;
}

/** The roles' SQS endpoint is the fault proxy: every call they make can lose its answer. */
function roleEnv(
  servers: ReturnType<typeof chaosServers>,
  options: ChaosOptions,
  sqsEndpoint: string,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...serverEnv(servers),
    SQS_ENDPOINT: sqsEndpoint,
    QUEUE_PREFIX: `chaos-${options.seed}-`,
    TEMPORAL_TASK_QUEUE: 'chaos',
    SWEEP_CLAIM_LEASE_SECONDS: String(options.productionLease ? PRODUCTION_LEASE_SECONDS : CLAIM_LEASE_SECONDS),
    MARKETPLACE_TIMEOUT_MS: String(MARKETPLACE_TIMEOUT_MS),
    DOCUMENT_STORE_DIR: path.join(CHAOS_DIR, 'documents'),
    METRICS_NAMESPACE: 'SellerWorkflows/chaos',
    LOG_LEVEL: 'info',
  };
}

/** Messages still to be handled: visible, in flight or delayed on any source queue. */
async function remaining(directory: QueueDirectory): Promise<number> {
  const depths = await Promise.all(QUEUES.map(async (queue) => directory.depth(await directory.url(queue))));
  return depths.reduce((sum, depth) => sum + depth.visible + depth.inFlight + depth.delayed, 0);
}

async function waitForDrain(directory: QueueDirectory, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let quiet = 0; quiet < 3;) {
    if (Date.now() > deadline) return false;
    quiet = (await remaining(directory)) === 0 ? quiet + 1 : 0;
    await sleep(2_000);
  }
  return true;
}

/** Deletes the run's queues and DLQs; one that is not there (never made, or deleted) is skipped. */
async function deleteQueues(sqs: SQSClient, directory: QueueDirectory): Promise<void> {
  for (const queue of QUEUES) {
    for (const url of [directory.url(queue), directory.deadLetterUrl(queue)]) {
      await url.then((found) => sqs.send(new DeleteQueueCommand({ QueueUrl: found }))).catch(() => undefined);
    }
  }
}

interface Running {
  config: Config;
  env: NodeJS.ProcessEnv;
  pool: Pool;
  /** Straight to SQS: the checks and the drain see what the server holds, undisturbed by the proxy. */
  sqs: SQSClient;
  /** Through the fault proxy: the producer stands in for production's senders (it uses their sender). */
  producerSqs: SQSClient;
  directory: QueueDirectory;
  sim: SimulatorControl;
}

/** Each role's health port: fixed, so the run can tell a role that was ready from one still starting. */
const ROLE_PORT_BASE = portFromEnv('CHAOS_ROLE_PORT', 28_400);

function startRoles(env: NodeJS.ProcessEnv, exits: RoleExit[], log: (line: string) => void) {
  const onExit = (exit: RoleExit) => {
    exits.push(exit);
    const when = exit.wasReady ? 'while running' : 'during start-up';
    log(`${exit.role} exited ${when} (code ${exit.code}, signal ${exit.signal}); starting it again`);
    // What an orchestrator does: start it again after a pause.
    setTimeout(() => void roles.find((role) => role.name === exit.role)?.restart(), 1_000);
  };
  const roles: SupervisedRole[] = [];
  const add = (name: string, role: RoleName) => {
    const port = ROLE_PORT_BASE + roles.length;
    const supervised = new SupervisedRole(name, role, env, port, path.join(LOGS, `${name}.log`), onExit);
    roles.push(supervised);
    return supervised;
  };
  const workers = [add('worker-1', 'temporal-worker'), add('worker-2', 'temporal-worker')];
  const pollers = [add('poller-1', 'poller-worker'), add('poller-2', 'poller-worker')];
  const sweeper = add('sweeper', 'sweep-worker');
  for (const r of roles) r.start();
  return { workers, pollers, sweeper, roles };
}

/** Runs an operator command as its own process, as a deployment's release step would. */
async function runCommand(entry: Launchable, args: string[], env: NodeJS.ProcessEnv, logName: string) {
  const logFile = path.join(LOGS, `${logName}.log`);
  const { code, signal } = await runToEnd(spawnLogged(entry, args, env, logFile));
  if (code !== 0) throw new Error(`${entry} ${args.join(' ')} exited ${code ?? signal} (see ${logFile})`);
}

async function prepare(env: NodeJS.ProcessEnv, plan: ChaosPlan, sqsEndpoint: string): Promise<Running> {
  const config = loadConfig({ ...env, SQS_ENDPOINT: sqsEndpoint });
  await runCommand('src/commands/migrate.ts', [], env, 'migrate');
  const sqs = createSqsClient(config);
  const producerSqs = createSqsClient(loadConfig(env));
  // A run of the same seed that was interrupted left its queues; ElasticMQ refuses to update a FIFO
  // queue's attributes, so the run starts from none, as it starts from empty servers.
  await deleteQueues(sqs, new QueueDirectory(sqs, config.queues.prefix));
  await provisionQueues(sqs, config.queues.prefix);
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const pool = createPool(config, { max: 4, log: SILENT_LOGGER });
  const sim = new SimulatorControl(env.SIMULATOR_URL);
  await seedWorkload(pool, config, sim, plan);
  return { config, env, pool, sqs, producerSqs, directory, sim };
}

async function exercise(running: Running, plan: ChaosPlan, targets: EventTargets, log: (line: string) => void) {
  const sent: Sent[] = [];
  let produced = false;
  // The work is the producer's messages and the sweep's; each counts as done once off its queue.
  const sweeps = plan.events.filter((event) => event.kind === 'interrupt-sweep').length;
  const total = plan.messages.length + sweeps * scheduleCount(plan.accounts);
  let left = total;
  let sweepSent = 0;
  const progress = async () => {
    left = await remaining(running.directory).catch(() => left);
    sweepSent = await sentClaims(running.pool).catch(() => sweepSent);
    return (sent.length + sweepSent - left) / total;
  };
  const producer = produce(running.producerSqs, running.directory, plan, (batch) => sent.push(...batch)).finally(() => {
    produced = true;
    log(`producer sent ${sent.length} messages`);
  });
  const buyers = runMarketplaceOrders(running.sim, plan.orders, lastRoundAtMs(plan));
  // Awaited below; a failure meanwhile must not be an unhandled rejection that ends the run unreported.
  buyers.catch(() => undefined);
  const events = await runEvents(plan.events, targets, progress, () => produced && left === 0, log);
  await producer;
  const orders = await buyers;
  log(`buyers placed ${orders.placed.length} marketplace orders (${orders.refused.length} refused)`);
  return { sent, events, orders };
}

/**
 * Under the production lease nobody runs the claim-sweeper by hand: the sweeper role's scheduling
 * sweep resends expired claims at its ticks. Waits until no claim is left unsent, at most a lease
 * plus one tick (plus a margin) from now: every claim made before now (by a killed sweep, or by a
 * sweeper role's tick that was killed or paused) has expired and met a tick by then. The checks
 * judge what is left.
 */
async function awaitTickRecovery(pool: Pool, log: (line: string) => void) {
  const deadline = Date.now() + (PRODUCTION_LEASE_SECONDS + SWEEP_TICK_SECONDS + RECOVERY_MARGIN_SECONDS) * 1_000;
  log(
    `production lease: waiting for the sweeper's ticks to resend unsent claims (until ${new Date(deadline).toISOString()} at the latest)`,
  );
  const unsent = async () =>
    (await pool.query('SELECT 1 FROM dispatch_claims WHERE sent_at IS NULL AND NOT needs_attention LIMIT 1'))
      .rowCount ?? 0;
  while (Date.now() < deadline && (await unsent().catch(() => 1)) > 0) await sleep(5_000);
}

export async function runChaos(
  options: ChaosOptions,
  print: (line: string) => void = console.log,
): Promise<ChaosReport> {
  const started = Date.now();
  const log = (line: string) => print(`chaos +${Math.round((Date.now() - started) / 1_000)} s: ${line}`);
  loadStackEnv();
  const servers = chaosServers(options.seed);
  const sqsEndpoint = sqsEndpointOf(options.sqs);
  log(`seed ${options.seed}; starting private PostgreSQL, Redis, Temporal and simulator; SQS: ${options.sqs}`);
  await startFresh(servers);
  const sqsProxy = new SqsFaultProxy(sqsEndpoint, portFromEnv('CHAOS_SQS_PROXY_PORT', 28_566), options.seed);
  await sqsProxy.start();
  const env = roleEnv(servers, options, sqsProxy.endpoint);
  const plan = planChaos(options, MARKETPLACE_TIMEOUT_MS);
  const running = await prepare(env, plan, sqsEndpoint);
  log(
    `seeded ${plan.sellers.length} sellers with ${plan.accounts.length} accounts; ${plan.events.length} events planned; role logs in ${LOGS}`,
  );
  const exits: RoleExit[] = [];
  const roles = startRoles(env, exits, log);
  const startSweep = (name: string) =>
    spawnLogged('src/commands/sweep.ts', [name], env, path.join(LOGS, `sweep-${name}.log`));
  const interrupted: InterruptedSweep[] = [];
  const seededSchedules: SeededSchedule[] = [];
  try {
    const targets: EventTargets = {
      servers,
      sqsProxy,
      ...roles,
      startSweep,
      seedDueSchedules: async () => {
        seededSchedules.push(...(await seedDueSchedules(running.pool, plan.accounts)));
      },
      claimsInFlight: (signal, since) => claimsInFlight(running.pool, signal, since),
      sweepKilled: async (killedAt, startedAt) => {
        const sweep = await unsentClaims(running.pool, killedAt, startedAt);
        interrupted.push(sweep);
        return sweep.workflowIds.length;
      },
    };
    const { sent, events, orders } = await exercise(running, plan, targets, log);
    if (options.productionLease) await awaitTickRecovery(running.pool, log);
    else {
      await sleep(CLAIM_LEASE_SECONDS * 1_000);
      await runCommand('src/commands/sweep.ts', ['claim-sweeper'], env, 'sweep-claim-sweeper');
      log('claim-sweeper done');
    }
    log('waiting for the queues to drain');
    const drained = await waitForDrain(running.directory, options.drainTimeoutSeconds * 1_000);
    log(drained ? 'queues drained' : `queues not drained within ${options.drainTimeoutSeconds} s`);
    // Under the production lease the sweeper's own ticks resend an expired publish; nobody runs the
    // claim-sweeper by hand, so the wait is a lease and a tick.
    const resendClaims = options.productionLease
      ? async () => undefined
      : () => runCommand('src/commands/sweep.ts', ['claim-sweeper'], env, 'sweep-claim-sweeper');
    const settleSeconds = options.productionLease
      ? PRODUCTION_LEASE_SECONDS + SWEEP_TICK_SECONDS + RECOVERY_MARGIN_SECONDS
      : PUBLISH_SETTLE_SECONDS;
    const settled = await waitForPublishes(running.pool, () => remaining(running.directory), resendClaims, {
      timeoutMs: settleSeconds * 1_000,
      leaseMs: CLAIM_LEASE_SECONDS * 1_000,
    });
    log(settled ? 'stock publishes settled; checking' : `stock publishes unsettled after ${settleSeconds} s; checking`);
    const client = await createTemporalClient(running.config);
    const checks = await verify({ plan, sent, orders, client, seededSchedules, ...running });
    const recovery = await recoveryFigures(client, interrupted);
    checks.push(recoveryCheck(recovery));
    await client.connection.close();
    const describe = (c: RoleExit) => `${c.role}: code ${c.code}, signal ${c.signal}`;
    const crashes = exits.filter((exit) => exit.wasReady);
    const refusals = exits.filter((exit) => !exit.wasReady);
    checks.push(
      {
        name: 'roles that refused to start (a server was down)',
        value: refusals.length,
        violation: false,
        detail: refusals.map(describe),
      },
      {
        name: 'roles that crashed while running',
        value: crashes.length,
        violation: true,
        detail: crashes.map(describe),
      },
    );
    const passed = checks.every((check) => !check.violation || check.value === 0);
    const seconds = (Date.now() - started) / 1_000;
    return {
      seed: options.seed,
      options,
      events,
      exits,
      checks,
      recovery,
      sqsAnswersLost: sqsProxy.lostTotals,
      seconds,
      passed,
    };
  } finally {
    await Promise.all(roles.roles.map((role) => role.stop()));
    await deleteQueues(running.sqs, running.directory);
    running.sqs.destroy();
    running.producerSqs.destroy();
    await sqsProxy.stop();
    await running.pool.end();
    await stopAll(servers);
  }
}

export function writeReport(report: ChaosReport): string {
  const file = path.join(CHAOS_DIR, `report-${report.seed}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

export function formatReport(report: ChaosReport): string {
  const width = Math.max(...report.checks.map((check) => check.name.length));
  const lines = report.checks.map((check) => {
    const mark = !check.violation ? '' : check.value === 0 ? '  ok' : '  VIOLATION';
    return `${check.name.padEnd(width)}  ${String(check.value).padStart(6)}${mark}`;
  });
  const details = report.checks
    .filter((check) => check.violation && check.value > 0)
    .flatMap((check) => [`${check.name}:`, ...(check.detail ?? []).slice(0, 20).map((d) => `  ${d}`)]);
  const events = report.events.map(
    (e) =>
      `  ${(e.firedAt * 100).toFixed(0).padStart(3)} %  ${e.kind.padEnd(20)} ${e.note}${e.overlappedBy ? ` (overlapped by ${e.overlappedBy})` : ''}`,
  );
  const lost = report.sqsAnswersLost;
  return [
    `chaos run, seed ${report.seed}: ${report.options.messages} messages over ${report.options.sellers} sellers on ${report.options.sqs}, ${report.seconds.toFixed(0)} s`,
    'events:',
    ...events,
    '',
    `SQS answers lost by the proxy: send ${lost.send}, receive ${lost.receive}, delete ${lost.delete}`,
    '',
    ...lines,
    ...(details.length ? ['', ...details] : []),
    '',
    report.passed ? 'PASSED' : `FAILED — replay with: npm run chaos -- --seed ${report.seed}`,
  ].join('\n');
}
