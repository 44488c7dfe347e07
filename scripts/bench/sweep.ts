/**
 * `npm run bench:sweep`: figures, not a test. Seeds due schedules across 5,000 accounts, runs the
 * scheduling-sweep as its own process, and compares its rate with raw SendMessageBatch to the same
 * SQS endpoint at the same parallelism, measured in the same run. Prints a table and writes
 * `.data/bench/sweep.json`. `npm run bench` runs it as one of its parts (`runSweepBench`).
 */
import { createInterface } from 'node:readline';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { loadConfig } from '../../src/config';
import { sendInBatches } from '../../src/queues/batch-sender';
import { provisionQueues } from '../../src/queues/provision';
import { runMain } from '../../src/platform/main';
import { createSweepDependencies } from '../../src/sweeps/sweep-dependencies';
import { SEND_PARALLELISM } from '../../src/sweeps/dispatch';
import { SWEEP_PROCESS_NODE_FLAGS } from '../../src/sweeps/process-flags';
import { seedManyDueSchedules } from '../seed/bulk-schedules';
import { spawnEntry } from '../harness/spawn';
import { loadStackEnv } from '../stack/stack';
import { kibToMiB, peakRssKiB } from './processes';
import { envInt, envInts, freshDatabase, load1, roleLogLevel, writeBenchJson } from './support';

const ACCOUNTS = 5_000;
/** The role's heap budget (what it runs with) and V8's defaults, for comparison. */
export const HEAP_SETTINGS = { role: SWEEP_PROCESS_NODE_FLAGS, defaults: [] as string[] };
const HEAP_LABELS: Record<keyof typeof HEAP_SETTINGS, string> = {
  role: 'role heap budget',
  defaults: 'V8 defaults',
};
export type HeapSetting = keyof typeof HEAP_SETTINGS;

export interface SweepBenchOptions {
  /** Due rows per sweep run, one run per size and heap setting. */
  sizes: number[];
  rawMessages: number;
  heaps: HeapSetting[];
}

/** Sizes from BENCH_SWEEP_ROWS, BENCH_RAW_MESSAGES, BENCH_SWEEP_HEAPS; `heaps` is the caller's default. */
export function sweepBenchOptionsFromEnv(defaultHeaps: HeapSetting[] = ['role', 'defaults']): SweepBenchOptions {
  const heaps = (process.env.BENCH_SWEEP_HEAPS || defaultHeaps.join(',')).split(',');
  if (!heaps.every((heap): heap is HeapSetting => heap in HEAP_SETTINGS))
    throw new Error(`BENCH_SWEEP_HEAPS must list ${Object.keys(HEAP_SETTINGS).join(', ')}`);
  return {
    sizes: envInts('BENCH_SWEEP_ROWS', [10_000, 100_000]),
    rawMessages: envInt('BENCH_RAW_MESSAGES', 30_000),
    heaps,
  };
}

export interface SweepRun {
  heap: string;
  rows: number;
  sent: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
  ratioToRaw: number;
}

export interface SweepBenchSummary {
  at: string;
  load1: { start: number; end: number };
  sqsEndpoint: string;
  parallelism: number;
  raw: { messages: number; failed: number; seconds: number; messagesPerSecond: number };
  sweeps: SweepRun[];
}

/**
 * Runs the sweep command as its own process, compiled as the image runs it (`npm run build`), so the
 * figures carry no TypeScript loader; returns its report and peak RSS (VmHWM) in MiB. Its stdout
 * carries its log lines (a `message sent` line per message at info) and, among them, the report.
 */
async function runSweepProcess(
  env: NodeJS.ProcessEnv,
  flags: string[],
): Promise<{ peakRssMiB: number; report: { messagesSent: number; runId: string } }> {
  const child = spawnEntry('src/commands/sweep.ts', {
    args: ['scheduling-sweep'],
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    compiled: true,
    extraNodeFlags: flags,
  });
  let report: { messagesSent: number; runId: string } | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{"sweep":')) report = JSON.parse(line);
  });
  let peakKiB = 0;
  const poll = setInterval(() => (peakKiB = Math.max(peakKiB, peakRssKiB(child.pid!) ?? 0)), 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  if (code !== 0 || !report) throw new Error(`sweep exited ${code}${report ? '' : ' without a report'}`);
  return { peakRssMiB: kibToMiB(peakKiB), report };
}

/** Needs the stack's environment (`loadStackEnv`) and a compiled `dist/` (`npm run build`). */
export async function runSweepBench({ sizes, rawMessages, heaps }: SweepBenchOptions): Promise<SweepBenchSummary> {
  const loadAtStart = load1();
  const databaseUrl = await freshDatabase('bench_sweep');
  const env = { ...process.env, DATABASE_URL: databaseUrl, QUEUE_PREFIX: 'bench-', LOG_LEVEL: roleLogLevel() };
  const config = loadConfig(env);

  const deps = createSweepDependencies(config);
  try {
    const provisioned = await provisionQueues(deps.sqs, config.queues.prefix);
    const purgeAll = () =>
      Promise.all(provisioned.map(({ url: QueueUrl }) => deps.sqs.send(new PurgeQueueCommand({ QueueUrl }))));
    await purgeAll();

    // Raw: the same kind of messages to the same queues, no database.
    const targets = provisioned.filter((p) =>
      ['account-sync', 'marketplace-push-amazon', 'returns-sync', 'payout-sync'].includes(p.queue.name),
    );
    const outgoing = Array.from({ length: rawMessages }, (_, i) => {
      const target = targets[i % targets.length]!;
      const body = JSON.stringify({
        v: 1,
        type: 'account.sync',
        accountId: `raw-${i % ACCOUNTS}`,
        pad: 'x'.repeat(220),
      });
      return target.queue.fifo
        ? { key: String(i), queueUrl: target.url, body, groupId: `raw-${i % ACCOUNTS}`, deduplicationId: `raw-${i}` }
        : { key: String(i), queueUrl: target.url, body };
    });
    const rawStarted = performance.now();
    const raw = await sendInBatches(deps.sqs, outgoing, { parallelism: SEND_PARALLELISM });
    const rawSeconds = (performance.now() - rawStarted) / 1000;
    const rawRate = raw.sent.length / rawSeconds;
    await purgeAll();

    const sweeps: SweepRun[] = [];
    for (const rows of sizes) {
      for (const heap of heaps) {
        await deps.pool.query(
          'TRUNCATE dispatch_claims, schedules, account_credentials, seller_accounts, sellers CASCADE',
        );
        await seedManyDueSchedules(deps.pool, {
          prefix: 'bench',
          accounts: ACCOUNTS,
          count: rows,
          dueAt: new Date(Date.now() - 60_000),
        });
        await deps.pool.query('VACUUM ANALYZE schedules');
        const { peakRssMiB, report } = await runSweepProcess(env, HEAP_SETTINGS[heap]);
        const { rows: audit } = await deps.pool.query(
          'SELECT extract(epoch FROM finished_at - started_at)::float AS seconds FROM sweep_runs WHERE id = $1',
          [report.runId],
        );
        const seconds = audit[0].seconds as number;
        const rowsPerSecond = Math.round(rows / seconds);
        sweeps.push({
          heap: HEAP_LABELS[heap],
          rows,
          sent: report.messagesSent,
          seconds: +seconds.toFixed(2),
          rowsPerSecond,
          peakRssMiB,
          ratioToRaw: +(rowsPerSecond / rawRate).toFixed(2),
        });
        await purgeAll();
      }
    }
    return {
      at: new Date().toISOString(),
      load1: { start: loadAtStart, end: load1() },
      sqsEndpoint: config.aws.sqsEndpoint ?? 'AWS',
      parallelism: SEND_PARALLELISM,
      raw: {
        messages: raw.sent.length,
        failed: raw.failed.length,
        seconds: +rawSeconds.toFixed(2),
        messagesPerSecond: Math.round(rawRate),
      },
      sweeps,
    };
  } finally {
    await deps.close();
  }
}

export function printSweepTable(summary: SweepBenchSummary): void {
  console.table([
    {
      run: 'raw SendMessageBatch',
      rows: summary.raw.messages,
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
}

if (require.main === module) {
  runMain(async () => {
    loadStackEnv();
    const summary = await runSweepBench(sweepBenchOptionsFromEnv());
    printSweepTable(summary);
    console.log(`written to ${writeBenchJson('sweep', summary)}`);
  });
}
