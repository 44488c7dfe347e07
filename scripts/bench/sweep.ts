/**
 * `npm run bench:sweep`: figures, not a test. Seeds due schedules across 5,000 accounts, runs the
 * scheduling-sweep as its own process, and compares its rate with raw SendMessageBatch to the same
 * SQS endpoint at the same parallelism, measured in the same run. Prints a table and writes
 * `.data/bench/sweep.json`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import { migrate } from '../../src/commands/migrate';
import { loadConfig } from '../../src/config';
import { sendInBatches } from '../../src/queues/batch-sender';
import { provisionQueues } from '../../src/queues/provision';
import { runMain } from '../../src/runtime/main';
import { createSweepDependencies } from '../../src/sweeps/dependencies';
import { SEND_PARALLELISM } from '../../src/sweeps/dispatch';
import { SWEEP_PROCESS_NODE_FLAGS } from '../../src/sweeps/process-flags';
import { seedManyDueSchedules } from '../seed/bulk-schedules';
import { DATA_DIR, REPO_ROOT } from '../stack/paths';
import { loadStackEnv } from '../stack/stack';

const ACCOUNTS = 5_000;
const SIZES = (process.env.BENCH_SWEEP_ROWS ?? '10000,100000').split(',').map(Number);
const RAW_MESSAGES = Number(process.env.BENCH_RAW_MESSAGES ?? 30_000);
/** The role's heap budget (what it runs with) and V8's defaults, for comparison. */
const HEAP_SETTINGS: [string, string[]][] = [
  ['role heap budget', SWEEP_PROCESS_NODE_FLAGS],
  ['V8 defaults', []],
];

/**
 * Runs the sweep command as its own process, compiled as the image runs it (`npm run build`), so the
 * figures carry no TypeScript loader; returns its peak RSS (VmHWM) in MiB.
 */
async function runSweepProcess(
  env: NodeJS.ProcessEnv,
  flags: string[],
): Promise<{ peakRssMiB: number; report: { messagesSent: number; runId: string } }> {
  const args = [...flags, path.join(REPO_ROOT, 'dist/src/commands/sweep.js'), 'scheduling-sweep'];
  const child = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  let peakKiB = 0;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const poll = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
    } catch {
      // the process has just exited
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(poll);
  if (code !== 0) throw new Error(`sweep exited ${code}`);
  return { peakRssMiB: Math.round(peakKiB / 1024), report: JSON.parse(stdout.trim().split('\n').pop()!) };
}

runMain(async () => {
  loadStackEnv();
  const base = loadConfig();
  const url = new URL(base.database.url);
  url.pathname = '/bench_sweep';
  const env = { ...process.env, DATABASE_URL: url.toString(), QUEUE_PREFIX: 'bench-' };
  const config = loadConfig(env);

  const admin = new Client({ connectionString: base.database.url });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS bench_sweep WITH (FORCE)');
  await admin.query('CREATE DATABASE bench_sweep');
  await admin.end();
  await migrate(config);

  const deps = createSweepDependencies(config);
  const provisioned = await provisionQueues(deps.sqs, config.queues.prefix);
  const purgeAll = () =>
    Promise.all(provisioned.map(({ url: QueueUrl }) => deps.sqs.send(new PurgeQueueCommand({ QueueUrl }))));
  await purgeAll();

  // Raw: the same kind of messages to the same queues, no database.
  const targets = provisioned.filter((p) =>
    ['account-sync', 'marketplace-push-amazon', 'returns-sync', 'payout-sync'].includes(p.queue.name),
  );
  const rawMessages = Array.from({ length: RAW_MESSAGES }, (_, i) => {
    const target = targets[i % targets.length]!;
    const body = JSON.stringify({ v: 1, type: 'account.sync', accountId: `raw-${i % ACCOUNTS}`, pad: 'x'.repeat(220) });
    return target.queue.fifo
      ? { key: String(i), queueUrl: target.url, body, groupId: `raw-${i % ACCOUNTS}`, deduplicationId: `raw-${i}` }
      : { key: String(i), queueUrl: target.url, body };
  });
  const rawStarted = performance.now();
  const raw = await sendInBatches(deps.sqs, rawMessages, { parallelism: SEND_PARALLELISM });
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  const rawRate = raw.sent.length / rawSeconds;
  await purgeAll();

  const results = [];
  for (const rows of SIZES) {
    for (const [heap, flags] of HEAP_SETTINGS) {
      await deps.pool.query('TRUNCATE dispatch_claims, schedules, account_credentials, seller_accounts CASCADE');
      await seedManyDueSchedules(deps.pool, {
        prefix: 'bench',
        accounts: ACCOUNTS,
        count: rows,
        dueAt: new Date(Date.now() - 60_000),
      });
      await deps.pool.query('VACUUM ANALYZE schedules');
      const { peakRssMiB, report } = await runSweepProcess(env, flags);
      const { rows: audit } = await deps.pool.query(
        'SELECT extract(epoch FROM finished_at - started_at)::float AS seconds FROM sweep_runs WHERE id = $1',
        [report.runId],
      );
      const seconds = audit[0].seconds as number;
      const rowsPerSecond = Math.round(rows / seconds);
      results.push({ heap, rows, sent: report.messagesSent, seconds: +seconds.toFixed(2), rowsPerSecond, peakRssMiB });
      await purgeAll();
    }
  }
  await deps.close();

  const summary = {
    at: new Date().toISOString(),
    sqsEndpoint: config.aws.sqsEndpoint ?? 'AWS',
    parallelism: SEND_PARALLELISM,
    raw: {
      messages: raw.sent.length,
      failed: raw.failed.length,
      seconds: +rawSeconds.toFixed(2),
      messagesPerSecond: Math.round(rawRate),
    },
    sweeps: results.map((r) => ({ ...r, ratioToRaw: +(r.rowsPerSecond / rawRate).toFixed(2) })),
  };
  console.table([
    {
      run: 'raw SendMessageBatch',
      rows: raw.sent.length,
      'rows/s': summary.raw.messagesPerSecond,
      seconds: summary.raw.seconds,
      'ratio to raw': 1,
      'peak RSS MiB': '-',
    },
    ...summary.sweeps.map((r) => ({
      run: `scheduling-sweep (${r.heap})`,
      rows: r.rows,
      'rows/s': r.rowsPerSecond,
      seconds: r.seconds,
      'ratio to raw': r.ratioToRaw,
      'peak RSS MiB': r.peakRssMiB,
    })),
  ]);
  mkdirSync(path.join(DATA_DIR, 'bench'), { recursive: true });
  writeFileSync(path.join(DATA_DIR, 'bench', 'sweep.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log('written to .data/bench/sweep.json');
});
