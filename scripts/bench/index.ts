/**
 * `npm run bench`: every benchmark in one run, figures next to their targets (issue 3: sweeps; issue
 * 4: pollers). Figures, not a test: a missed target is printed as `miss`; the command exits non-zero
 * only when a part could not run. Parts, in order (BENCH_PHASES picks some):
 *
 *   sweep     the sweep benchmark (`sweep.ts`): fan-out rate, ratio to raw SendMessageBatch, peak RSS
 *   pipeline  the pipeline benchmark (`pipeline.ts`): throughput, ratio to raw Temporal, latencies
 *   roles     peak RSS of the real roles, each its own process, under one real flow (`roles.ts`)
 *   scaling   throughput with 1 poller + 1 worker process, then 2 + 2 (`scaling.ts`)
 *   worker    the temporal-worker role's time to ready and RSS, prebuilt bundle vs bundled at start (`worker-start.ts`)
 *   fairness  a small seller's wait while one seller floods, alone / FIFO / fair (`fairness.ts`; issue 18)
 *
 * Prints one table and writes `.data/bench/bench.json` (and `sweep.json`, `pipeline.json` as the
 * single benchmarks do).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { describeFatal, runMain } from '../../src/platform/main';
import { loadStackEnv } from '../stack/stack';
import {
  fairnessBenchOptionsFromEnv,
  printFairnessTable,
  runFairnessBench,
  type FairnessBenchSummary,
} from './fairness';
import {
  pipelineBenchOptionsFromEnv,
  printPipelineTables,
  runPipelineBench,
  type PipelineBenchSummary,
} from './pipeline';
import { rolesBenchOptionsFromEnv, runRolesBench, type RolesBenchSummary } from './roles';
import { runScalingBench, scalingBenchOptionsFromEnv, type ScalingBenchSummary } from './scaling';
import { printSweepTable, runSweepBench, sweepBenchOptionsFromEnv, type SweepBenchSummary } from './sweep';
import { formatTable, load1, writeBenchJson } from './support';
import { runWorkerStartBench, workerStartOptionsFromEnv, type WorkerStartSummary } from './worker-start';

const PHASES = ['sweep', 'pipeline', 'roles', 'scaling', 'worker', 'fairness'] as const;
type Phase = (typeof PHASES)[number];

/** Issue 3: "peak RSS under 200 MB"; in MiB, as the figures are. */
const RSS_LIMIT_MIB = 200e6 / 2 ** 20;
/** Issue 17: sweep RSS "within ±10 % from 10k to 100k rows": the largest run's peak within 10 % of the smallest's. */
const FLAT_TOLERANCE = 1.1;
/** Issue 17's targets: sweep and pipeline ≥ 0.9 × raw, our CPU per message ≤ 1.3 × raw's, raw Temporal ≥ 35 wf/s. */
const RATIO_TO_RAW = 0.9;
const CPU_RATIO_TO_RAW = 1.3;
const RAW_TEMPORAL_PER_SECOND = 35;

interface Figure {
  figure: string;
  value: string;
  target: string;
  result: string;
}

const n = (value: number) => value.toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? 'pass' : 'miss');

function selectedPhases(): Phase[] {
  const raw = process.env.BENCH_PHASES;
  if (!raw) return [...PHASES];
  const phases = raw.split(',');
  const unknown = phases.filter((phase) => !(PHASES as readonly string[]).includes(phase));
  if (unknown.length) throw new Error(`BENCH_PHASES: unknown ${unknown.join(', ')}; known: ${PHASES.join(', ')}`);
  return phases as Phase[];
}

function sweepFigures(s: SweepBenchSummary): Figure[] {
  const budget = s.sweeps.filter((run) => run.heap === 'role heap budget');
  const largest = budget.at(-1) ?? s.sweeps.at(-1);
  const figures: Figure[] = [
    {
      figure: `raw SendMessageBatch (${n(s.raw.messages)} msgs, parallelism ${s.parallelism})`,
      value: `${n(s.raw.messagesPerSecond)} msgs/s`,
      target: '',
      result: '',
    },
  ];
  if (largest) {
    figures.push(
      {
        figure: `sweep fan-out, ${n(largest.rows)} rows (${largest.heap})`,
        value: `${n(largest.rowsPerSecond)} rows/s`,
        target: '',
        result: '',
      },
      {
        figure: 'sweep ÷ raw SendMessageBatch',
        value: `${largest.ratioToRaw}`,
        target: `≥ ${RATIO_TO_RAW}`,
        result: verdict(largest.ratioToRaw >= RATIO_TO_RAW),
      },
    );
  }
  if (budget.length) {
    const peaks = budget.map((run) => run.peakRssMiB);
    const flat = Math.max(...peaks) <= FLAT_TOLERANCE * Math.min(...peaks);
    figures.push({
      figure: `sweep process peak RSS, ${budget.map((run) => n(run.rows)).join(' → ')} rows`,
      value: `${peaks.join(' → ')} MiB`,
      target: `< 200 MB (${RSS_LIMIT_MIB.toFixed(1)} MiB), flat (±10 %)`,
      result: verdict(peaks.every((peak) => peak < RSS_LIMIT_MIB) && flat),
    });
  }
  const defaults = s.sweeps.filter((run) => run.heap === 'V8 defaults');
  if (defaults.length)
    figures.push({
      figure: `  same with V8's default heap, ${defaults.map((run) => n(run.rows)).join(' → ')} rows`,
      value: `${defaults.map((run) => run.peakRssMiB).join(' → ')} MiB`,
      target: '(for comparison)',
      result: '',
    });
  return figures;
}

function pipelineFigures(p: PipelineBenchSummary): Figure[] {
  const ms = ({ p50, p95, p99 }: { p50: number; p95: number; p99: number }) => `${p50} / ${p95} / ${p99} ms`;
  return [
    {
      figure: `raw Temporal start+complete (${n(p.rawTemporal.workflows)} wf, concurrency ${p.concurrency})`,
      value: `${p.rawTemporal.perSecond} wf/s`,
      target: `≥ ${RAW_TEMPORAL_PER_SECOND} wf/s`,
      result: verdict(p.rawTemporal.perSecond >= RAW_TEMPORAL_PER_SECOND),
    },
    {
      figure: `pipeline, pollers in-process (${n(p.messages)} msgs / ${p.accounts} accounts)`,
      value: `${p.pipeline.perSecond} msgs/s`,
      target: '',
      result: '',
    },
    {
      figure: 'pipeline ÷ raw Temporal',
      value: `${p.pipeline.ratioToRaw}`,
      target: `≥ ${RATIO_TO_RAW}`,
      result: verdict(p.pipeline.ratioToRaw >= RATIO_TO_RAW),
    },
    {
      figure: 'CPU per message: ours (pollers + worker) vs raw (client + worker)',
      value: `${p.pipeline.cpuMsPerMessage} vs ${p.rawTemporal.cpuMsPerWorkflow} ms (× ${p.pipeline.cpuRatioToRaw})`,
      target: `≤ ${CPU_RATIO_TO_RAW} × raw`,
      result: verdict(p.pipeline.cpuRatioToRaw <= CPU_RATIO_TO_RAW),
    },
    {
      figure: `send → start p50/p95/p99 at half peak (${p.atHalfPeak.ratePerSecond}/s)`,
      value: ms(p.atHalfPeak.sendToStartMs),
      target: 'p99 < 100 ms',
      result: verdict(p.atHalfPeak.sendToStartMs.p99 < 100),
    },
    {
      figure: 'send → delete p50/p95/p99 at half peak',
      value: ms(p.atHalfPeak.sendToDeleteMs),
      target: '',
      result: '',
    },
  ];
}

/** Peak RSS, with the peak reached by the time the process was ready and its RSS at the end. */
const rss = (peak: number, ready?: number, end?: number) =>
  `${peak} MiB (${ready ?? '?'} when ready, ${end ?? '?'} at the end)`;

function rolesFigures(r: RolesBenchSummary): Figure[] {
  const load = `${n(r.sweepRows)} + ${n(r.workflows)} rows swept, ${n(r.workflows)} reconciliation workflows`;
  return r.roles.map(({ role, entry, peakRssMiB, readyPeakRssMiB, endRssMiB }) => ({
    figure: `peak RSS, ${role} role (${entry.replace('src/workers/', '')}; ${load})`,
    value: rss(peakRssMiB, readyPeakRssMiB, endRssMiB),
    target: role === 'sweeper' ? `< 200 MB (${RSS_LIMIT_MIB.toFixed(1)} MiB)` : '',
    result: role === 'sweeper' ? verdict(peakRssMiB < RSS_LIMIT_MIB) : '',
  }));
}

function scalingFigures(s: ScalingBenchSummary): Figure[] {
  const figures: Figure[] = s.runs.map((run) => ({
    figure: `throughput, ${run.processes} poller + ${run.processes} worker process${run.processes > 1 ? 'es' : ''} (${n(run.messages)} msgs)`,
    value: `${run.perSecond} msgs/s`,
    target: '',
    result: '',
  }));
  const [first, ...rest] = s.runs;
  for (const run of rest)
    figures.push({
      figure: `  ${run.processes} + ${run.processes} ÷ ${first!.processes} + ${first!.processes}`,
      value: `${run.ratioToFirst}`,
      target: '',
      result: '',
    });
  const max = (key: 'poller' | 'worker', of: 'peakRssMiB' | 'readyPeakRssMiB' | 'endRssMiB') =>
    Math.max(...s.runs.flatMap((run) => run[of][key].map((mib) => mib ?? NaN)));
  figures.push(
    {
      figure: 'peak RSS, poller role under the scaling load (max of processes)',
      value: rss(max('poller', 'peakRssMiB'), max('poller', 'readyPeakRssMiB'), max('poller', 'endRssMiB')),
      target: '',
      result: '',
    },
    {
      figure: 'peak RSS, bench worker (fixture workflows; max of processes)',
      value: rss(max('worker', 'peakRssMiB'), max('worker', 'readyPeakRssMiB'), max('worker', 'endRssMiB')),
      target: '',
      result: '',
    },
  );
  return figures;
}

/** Issue 17: with the prebuilt bundle, the worker is ready in under 5 s with under 300 MiB. */
const WORKER_READY_SECONDS = 5;
const WORKER_RSS_MIB = 300;

function workerFigures(w: WorkerStartSummary): Figure[] {
  return w.runs.flatMap(({ mode, median, readySeconds }) => {
    const prebuilt = mode === 'prebuilt';
    const label = prebuilt ? 'prebuilt bundle' : 'bundled at start (before)';
    return [
      {
        figure: `temporal-worker time to ready, ${label} (median of ${readySeconds.length})`,
        value: `${median.readySeconds} s (${readySeconds.join(', ')})`,
        target: prebuilt ? `< ${WORKER_READY_SECONDS} s` : '',
        result: prebuilt ? verdict(median.readySeconds < WORKER_READY_SECONDS) : '',
      },
      {
        figure: `temporal-worker RSS at ready, ${label}`,
        value: `${median.rssAtReadyMiB} MiB (peak ${median.peakAtReadyMiB})`,
        target: prebuilt ? `< ${WORKER_RSS_MIB} MiB` : '',
        result: prebuilt ? verdict(median.rssAtReadyMiB < WORKER_RSS_MIB) : '',
      },
    ];
  });
}

/** Issue 18: the small seller's wait while one seller floods; figures, no target (the bench asserts nothing). */
function fairnessFigures({ options, runs }: FairnessBenchSummary): Figure[] {
  return runs.map((run) => ({
    figure: `small seller's activity schedule → start p50 / p99, ${run.run} (flood ${n(options.flood)}, ${options.slots} slots)`,
    value: `${run.scheduleToStartMs.p50} / ${run.scheduleToStartMs.p99} ms`,
    target: '',
    result: '',
  }));
}

runMain(async () => {
  loadStackEnv();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const phases = selectedPhases();
  // Read every size first: a malformed variable stops the bench before it has run anything. Defaults
  // smaller than the single benchmarks' where that keeps the whole run near 15 minutes on 2 cores.
  const options = {
    sweep: sweepBenchOptionsFromEnv(['role']),
    pipeline: pipelineBenchOptionsFromEnv({ messages: 2_000, rawWorkflows: 1_000, latencyMessages: 500 }),
    roles: rolesBenchOptionsFromEnv(),
    scaling: scalingBenchOptionsFromEnv(),
    worker: workerStartOptionsFromEnv(),
    fairness: fairnessBenchOptionsFromEnv(),
  };
  const started = performance.now();
  const loadAtStart = load1();
  const results: {
    sweep?: SweepBenchSummary;
    pipeline?: PipelineBenchSummary;
    roles?: RolesBenchSummary;
    scaling?: ScalingBenchSummary;
    worker?: WorkerStartSummary;
    fairness?: FairnessBenchSummary;
  } = {};
  const errors: { phase: Phase; error: string }[] = [];
  const figures: Figure[] = [];

  const phase = async <T>(name: Phase, run: () => Promise<T>, report: (summary: T) => Figure[]) => {
    if (!phases.includes(name)) return;
    const phaseStarted = performance.now();
    console.log(`\n== ${name} (load average ${load1()}) ==`);
    try {
      const summary = await run();
      (results as Record<Phase, unknown>)[name] = summary;
      figures.push(...report(summary));
      console.log(`${name}: done in ${Math.round((performance.now() - phaseStarted) / 1000)} s`);
    } catch (error) {
      const message = describeFatal(error);
      errors.push({ phase: name, error: message });
      console.error(`${name}: could not run: ${message}`);
    }
  };

  await phase(
    'sweep',
    async () => {
      const summary = await runSweepBench(options.sweep);
      printSweepTable(summary);
      writeBenchJson('sweep', summary);
      return summary;
    },
    sweepFigures,
  );
  await phase(
    'pipeline',
    async () => {
      const summary = await runPipelineBench(options.pipeline);
      printPipelineTables(summary);
      writeBenchJson('pipeline', summary);
      return summary;
    },
    pipelineFigures,
  );
  await phase('roles', () => runRolesBench(options.roles), rolesFigures);
  await phase('scaling', () => runScalingBench(options.scaling), scalingFigures);
  await phase('worker', () => runWorkerStartBench(options.worker), workerFigures);
  await phase(
    'fairness',
    async () => {
      const summary = await runFairnessBench(options.fairness);
      printFairnessTable(summary);
      return summary;
    },
    fairnessFigures,
  );

  const seconds = Math.round((performance.now() - started) / 1000);
  const bench = {
    at: new Date().toISOString(),
    seconds,
    load1: { start: loadAtStart, end: load1() },
    options,
    figures,
    errors,
    ...results,
  };
  const file = writeBenchJson('bench', bench);
  console.log(`\n${formatTable(figures as unknown as Record<string, string>[])}`);
  console.log(
    `\n${Math.floor(seconds / 60)} min ${seconds % 60} s; load average ${bench.load1.start} at the start, ${bench.load1.end} at the end (2 cores); written to ${file}`,
  );
  if (errors.length) {
    console.error(`could not run: ${errors.map((e) => e.phase).join(', ')}`);
    process.exitCode = 1;
  }
});
