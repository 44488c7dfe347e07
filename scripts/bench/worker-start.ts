/**
 * The `worker` phase of `npm run bench`: the real temporal-worker role, compiled as the image runs it,
 * started with the prebuilt workflow bundle (WORKFLOW_BUNDLE=prebuilt, the default) and with the
 * workflows bundled at start (`at-start`, every start before the bundle was built once). Per start:
 * the time from spawn to its first ready /readyz, and its RSS then (VmRSS, and VmHWM: the peak on the
 * way). Figures are medians of `BENCH_WORKER_STARTS` starts each (default 3).
 */
import { randomUUID } from 'node:crypto';
import { prebuiltWorkflowBundle } from '../../src/platform/workflow-bundle';
import { startRole } from './processes';
import { envInt, load1, roleLogLevel } from './support';

export type BundleMode = 'prebuilt' | 'at-start';

export interface WorkerStartOptions {
  starts: number;
}

export function workerStartOptionsFromEnv(): WorkerStartOptions {
  return { starts: envInt('BENCH_WORKER_STARTS', 3) };
}

export interface WorkerStartFigures {
  mode: BundleMode;
  /** Each start's figures, in order. */
  readySeconds: number[];
  rssAtReadyMiB: number[];
  peakAtReadyMiB: number[];
  median: { readySeconds: number; rssAtReadyMiB: number; peakAtReadyMiB: number };
}

export interface WorkerStartSummary {
  at: string;
  load1: { start: number; end: number };
  starts: number;
  runs: WorkerStartFigures[];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function startOnce(mode: BundleMode, name: string) {
  const started = performance.now();
  const role = await startRole({
    name,
    target: 'temporal-worker',
    env: {
      ...process.env,
      WORKFLOW_BUNDLE: mode,
      // A task queue of its own: this worker must take no other run's tasks.
      TEMPORAL_TASK_QUEUE: `bench-worker-start-${randomUUID().slice(0, 8)}`,
      LOG_LEVEL: roleLogLevel(),
    },
  });
  try {
    await role.waitUntilReady();
    const readySeconds = Math.round(performance.now() - started) / 1000;
    return { readySeconds, rssAtReadyMiB: role.rssMiB() ?? NaN, peakAtReadyMiB: role.readyPeakRssMiB() ?? NaN };
  } finally {
    await role.stop();
  }
}

async function measure(mode: BundleMode, starts: number): Promise<WorkerStartFigures> {
  const each = [];
  for (let i = 0; i < starts; i += 1) each.push(await startOnce(mode, `worker-start-${mode}-${i + 1}`));
  const readySeconds = each.map((start) => start.readySeconds);
  const rssAtReadyMiB = each.map((start) => start.rssAtReadyMiB);
  const peakAtReadyMiB = each.map((start) => start.peakAtReadyMiB);
  return {
    mode,
    readySeconds,
    rssAtReadyMiB,
    peakAtReadyMiB,
    median: {
      readySeconds: median(readySeconds),
      rssAtReadyMiB: median(rssAtReadyMiB),
      peakAtReadyMiB: median(peakAtReadyMiB),
    },
  };
}

/** Needs the stack's environment and a compiled `dist/` (the bundle is built here when missing or stale). */
export async function runWorkerStartBench({ starts }: WorkerStartOptions): Promise<WorkerStartSummary> {
  const loadAtStart = load1();
  await prebuiltWorkflowBundle();
  const runs = [await measure('prebuilt', starts), await measure('at-start', starts)];
  return { at: new Date().toISOString(), load1: { start: loadAtStart, end: load1() }, starts, runs };
}
