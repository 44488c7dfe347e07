/**
 * Peak RSS of the service's roles, each the real role as its own compiled process, under one real
 * flow: the sweeper role (with its heap budget, as deployed) runs one scheduling-sweep job over
 * `sweepRows` due schedules plus `workflows` reconciliation schedules; the poller role serves the
 * reconciliation queue and starts the real `reconciliationWorkflow` for each message; the Temporal
 * worker role (every real workflow bundled) runs them against PostgreSQL. The other rows' messages
 * go to queues nobody polls here and are purged afterwards. Its own database (`bench_roles`), queue
 * prefix, Redis key prefix and task queue: nothing else on the stack sees it.
 */
import { randomUUID } from 'node:crypto';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { loadConfig } from '../../src/config';
import { provisionQueues } from '../../src/queues/provision';
import { createRedisConnection } from '../../src/platform/redis';
import { createSweepDependencies } from '../../src/sweeps/sweep-dependencies';
import { findSweep, SWEEPS } from '../../src/sweeps/registry';
import { SWEEP_JOB_OPTIONS, sweepQueue } from '../../src/sweeps/schedulers';
import { seedManyDueSchedules } from '../seed/bulk-schedules';
import { findRole } from '../../src/workers/roles';
import { startRole, stopAll, waitUntilNone, type RoleProcess } from './processes';
import { envInt, freshDatabase, load1, roleLogLevel } from './support';

export interface RolesBenchOptions {
  /** Due schedules the sweeper role fans out to queues nobody polls here (its memory at scale). */
  sweepRows: number;
  /** Reconciliation schedules, each a real workflow through the poller and worker roles. */
  workflows: number;
}

export function rolesBenchOptionsFromEnv(): RolesBenchOptions {
  return {
    sweepRows: envInt('BENCH_ROLES_SWEEP_ROWS', 100_000),
    workflows: envInt('BENCH_ROLES_WORKFLOWS', 1_000),
  };
}

export interface RoleFigure {
  role: string;
  entry: string;
  peakRssMiB: number;
  /** VmHWM when it was first ready, before the load. */
  readyPeakRssMiB?: number;
  /** VmRSS once the flow was done. */
  endRssMiB?: number;
  exitCode: number | null;
}

export interface RolesBenchSummary {
  at: string;
  load1: { start: number; end: number };
  sweepRows: number;
  workflows: number;
  /** The sweep job: every row sent, and how fast while the workflows ran beside it. */
  sweep: { messagesSent: number; seconds: number; rowsPerSecond: number };
  /** From the sweep job's start until the reconciliation queue was empty. */
  workflowsSeconds: number;
  roles: RoleFigure[];
}

const ACCOUNTS = 5_000;

/** Needs the stack's environment and a compiled `dist/` with its workflow bundle (`npm run bench` builds both). */
export async function runRolesBench({ sweepRows, workflows }: RolesBenchOptions): Promise<RolesBenchSummary> {
  const loadAtStart = load1();
  const run = randomUUID().slice(0, 8);
  const databaseUrl = await freshDatabase('bench_roles');
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: 'benchr-',
    REDIS_KEY_PREFIX: `bench-roles-${run}`,
    TEMPORAL_TASK_QUEUE: `bench-roles-${run}`,
    POLLER_QUEUES: 'reconciliation',
    LOG_LEVEL: roleLogLevel(),
  };
  const config = loadConfig(env);
  const deps = createSweepDependencies(config);
  const redis = createRedisConnection(config);
  const provisioned = await provisionQueues(deps.sqs, config.queues.prefix);
  const purgeAll = () =>
    Promise.all(provisioned.map(({ url: QueueUrl }) => deps.sqs.send(new PurgeQueueCommand({ QueueUrl }))));
  const reconciliationUrl = provisioned.find(({ queue }) => queue.name === 'reconciliation')!.url;
  const roles: RoleProcess[] = [];
  try {
    await purgeAll();
    const dueAt = new Date(Date.now() - 60_000);
    await seedManyDueSchedules(deps.pool, { prefix: 'bench', accounts: ACCOUNTS, count: sweepRows, dueAt });
    await seedManyDueSchedules(deps.pool, {
      prefix: 'benchrec',
      accounts: Math.min(workflows, 200),
      count: workflows,
      dueAt,
      kinds: ['reconciliation'],
    });
    await deps.pool.query('VACUUM ANALYZE schedules');

    const worker = await startRole({ name: 'roles-temporal-worker', target: 'temporal-worker', env });
    roles.push(worker);
    const poller = await startRole({ name: 'roles-poller', target: 'poller-worker', env });
    roles.push(poller);
    // With its heap budget from the table, as deployed.
    const sweeper = await startRole({ name: 'roles-sweeper', target: 'sweep-worker', env });
    roles.push(sweeper);
    await Promise.all(roles.map((role) => role.waitUntilReady()));

    // One scheduling-sweep job, as a cron tick would add it (a tick falling inside the run is one more
    // job of the same sweep; whichever runs first sends the rows).
    const queue = sweepQueue(config, redis, findSweep('scheduling-sweep'));
    const started = performance.now();
    const job = await queue.add('scheduling-sweep', {}, SWEEP_JOB_OPTIONS);
    await queue.close();
    // Rows still due, plus one until this job's run is recorded as finished.
    const sweepRemaining = async () => {
      const { rows } = await deps.pool.query(
        `SELECT (SELECT count(*) FROM schedules WHERE next_run_at <= now())::int AS due,
                (SELECT error FROM sweep_runs WHERE job_id = $1 AND finished_at IS NOT NULL) AS error,
                EXISTS (SELECT 1 FROM sweep_runs WHERE job_id = $1 AND finished_at IS NOT NULL) AS finished`,
        [job.id],
      );
      if (rows[0].error) throw new Error(`the sweep job failed: ${rows[0].error}`);
      return rows[0].due + (rows[0].finished ? 0 : 1);
    };
    await waitUntilNone('the sweep job', sweepRemaining, roles, { intervalMs: 500 });
    // The run that sent the rows (this job's, unless a cron tick's job got there first).
    const { rows: runs } = await deps.pool.query(
      `SELECT messages_sent AS sent, extract(epoch FROM finished_at - started_at)::float AS seconds,
              sum(messages_sent) OVER ()::int AS total
         FROM sweep_runs WHERE sweep = 'scheduling-sweep' ORDER BY messages_sent DESC LIMIT 1`,
    );
    const sweepRun = runs[0] as { sent: number; seconds: number; total: number };
    if (sweepRun.total !== sweepRows + workflows)
      throw new Error(`the sweeps sent ${sweepRun.total} messages, not ${sweepRows + workflows}`);
    const reconciliationRemaining = async () => {
      const depth = await deps.queues.depth(reconciliationUrl);
      return depth.visible + depth.inFlight + depth.delayed;
    };
    await waitUntilNone('the reconciliation workflows', reconciliationRemaining, roles);
    const workflowsSeconds = (performance.now() - started) / 1000;
    const measured = [
      { role: 'temporal worker', entry: findRole('temporal-worker').entry, process: worker },
      { role: 'poller', entry: findRole('poller-worker').entry, process: poller },
      { role: 'sweeper', entry: findRole('sweep-worker').entry, process: sweeper },
    ].map((figure) => ({
      ...figure,
      peakRssMiB: figure.process.peakRssMiB(),
      readyPeakRssMiB: figure.process.readyPeakRssMiB(),
      endRssMiB: figure.process.rssMiB(),
    }));
    await stopAll([sweeper, poller], [worker]);
    return {
      at: new Date().toISOString(),
      load1: { start: loadAtStart, end: load1() },
      sweepRows,
      workflows,
      sweep: {
        messagesSent: sweepRun.sent,
        seconds: +sweepRun.seconds.toFixed(1),
        rowsPerSecond: Math.round(sweepRun.sent / sweepRun.seconds),
      },
      workflowsSeconds: +workflowsSeconds.toFixed(1),
      roles: measured.map(({ process, ...figure }) => ({ ...figure, exitCode: process.child.exitCode })),
    };
  } finally {
    // Stopped already unless the run failed: pollers and sweeper first, then the worker they wait on.
    await stopAll(
      roles.filter((role) => role.name !== 'roles-temporal-worker'),
      roles.filter((role) => role.name === 'roles-temporal-worker'),
    );
    await purgeAll().catch(() => undefined);
    // The role upserted its schedulers under this run's Redis prefix: leave nothing behind.
    await Promise.all(
      SWEEPS.map(async (sweep) => {
        const queue = sweepQueue(config, redis, sweep);
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }),
    );
    redis.disconnect();
    await deps.close();
  }
}
