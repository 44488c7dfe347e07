/**
 * `tsx scripts/bench/raw-temporal.ts`: the raw rate of one Temporal server, nothing of ours in the
 * way: a client starts and awaits BENCH_RAW_WORKFLOWS workflows of one no-op activity at
 * BENCH_RAW_CONCURRENCY, a worker in this process runs them. Prints one JSON line (workflows/s and
 * this process's CPU milliseconds per workflow; the server's too when BENCH_SERVER_PID names it). Needs only TEMPORAL_ADDRESS (default: the stack's),
 * so it measures any server, e.g. one started by hand with other SQLite pragmas.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createLimiter } from '../../src/platform/concurrency';
import { runMain } from '../../src/platform/main';
import { loadStackEnv } from '../stack/stack';
import { createBenchActivities } from './pipeline-activities';
import { cpuMsSince, envInt, load1, processCpuMs } from './support';

export interface RawTemporalSummary {
  workflows: number;
  concurrency: number;
  perSecond: number;
  /** How long the workflows took, start of the first to end of the last. */
  seconds: number;
  /** user + system CPU of the client and worker process, per workflow. */
  cpuMsPerWorkflow: number;
  /** The Temporal server's CPU per workflow over the same window, when its process id is known. */
  serverCpuMsPerWorkflow?: number;
}

/** Starts and awaits `workflows` no-op workflows at `concurrency` against `address`. */
export async function runRawTemporal(
  address: string,
  namespace: string,
  workflows: number,
  concurrency: number,
  serverPid?: number,
): Promise<RawTemporalSummary> {
  const run = randomUUID().slice(0, 8);
  const taskQueue = `bench-raw-${run}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('./pipeline-workflows'),
    activities: createBenchActivities(new Map()),
    maxConcurrentWorkflowTaskExecutions: 100,
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const limit = createLimiter(concurrency);
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = serverPid === undefined ? undefined : processCpuMs(serverPid);
  const started = performance.now();
  await worker.runUntil(
    Promise.all(
      Array.from({ length: workflows }, (_, i) =>
        limit(() =>
          client.workflow.execute('noopWorkflow', {
            taskQueue,
            workflowId: `bench-raw/${run}/${i}`,
            args: [{ idempotencyKey: `raw-${run}-${i}` }],
          }),
        ),
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpuMsSince(cpuBefore);
  const serverCpuAfter = serverPid === undefined ? undefined : processCpuMs(serverPid);
  await connection.close();
  await nativeConnection.close();
  return {
    workflows,
    concurrency,
    perSecond: Math.round(workflows / seconds),
    seconds: +seconds.toFixed(3),
    cpuMsPerWorkflow: +(cpuMs / workflows).toFixed(2),
    ...(serverCpuBefore !== undefined &&
      serverCpuAfter !== undefined && {
        serverCpuMsPerWorkflow: +((serverCpuAfter - serverCpuBefore) / workflows).toFixed(2),
      }),
  };
}

if (require.main === module) {
  runMain(async () => {
    if (!process.env.TEMPORAL_ADDRESS) loadStackEnv();
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const loadAtStart = load1();
    const summary = await runRawTemporal(
      process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      process.env.TEMPORAL_NAMESPACE ?? 'default',
      envInt('BENCH_RAW_WORKFLOWS', 1_000),
      envInt('BENCH_RAW_CONCURRENCY', 120),
      process.env.BENCH_SERVER_PID ? envInt('BENCH_SERVER_PID', 0) : undefined,
    );
    console.log(JSON.stringify({ ...summary, load1: { start: loadAtStart, end: load1() } }));
  });
}
