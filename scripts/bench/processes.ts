/**
 * Roles as separate OS processes for the benchmarks, started through the harness compiled as the
 * image runs them (`dist/`, so no TypeScript loader weighs on their memory). Each answers `/readyz`
 * on a port of its own and has its peak RSS (VmHWM) read from /proc while it runs.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/platform/free-ports';
import { spawnEntry, type Launchable } from '../harness/spawn';
import { isReady } from '../stack/processes';
import { BENCH_DIR } from './support';

export const BENCH_LOGS_DIR = path.join(BENCH_DIR, 'logs');

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** VmHWM (peak RSS) of a running process, in KiB; undefined once it has exited. */
export function peakRssKiB(pid: number): number | undefined {
  return statusKiB(pid, 'VmHWM');
}

export const kibToMiB = (kib: number) => Math.round(kib / 1024);

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  healthPort: number;
  exited: Promise<number | null>;
  /** Highest VmHWM seen so far (sampled every 100 ms and read on demand), in MiB. */
  peakRssMiB: () => number;
  /** VmHWM when it first answered ready: what start-up alone took (a worker bundles its workflows). */
  readyPeakRssMiB: () => number | undefined;
  /** VmRSS now, in MiB. */
  rssMiB: () => number | undefined;
  waitUntilReady: (timeoutMs?: number) => Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop: (timeoutMs?: number) => Promise<number | null>;
}

export interface RoleSpec {
  /** Also the log file's name: `.data/bench/logs/<name>.log`. */
  name: string;
  /** A role of the table (with its Node flags), or another entry such as the bench worker; run compiled. */
  target: Launchable;
  env: NodeJS.ProcessEnv;
}

export async function startRole({ name, target, env }: RoleSpec): Promise<RoleProcess> {
  const healthPort = await freePort();
  mkdirSync(BENCH_LOGS_DIR, { recursive: true });
  const log = createWriteStream(path.join(BENCH_LOGS_DIR, `${name}.log`));
  const child = spawnEntry(target, {
    env: { ...env, HEALTH_PORT: String(healthPort), TEMPORAL_METRICS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    compiled: true,
  });
  let tail = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-4_000);
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      log.end();
      resolve(code);
    }),
  );
  let peakKiB = 0;
  let readyPeakKiB: number | undefined;
  const sample = () => {
    const kib = child.exitCode === null ? peakRssKiB(child.pid!) : undefined;
    if (kib !== undefined) peakKiB = Math.max(peakKiB, kib);
  };
  const sampler = setInterval(sample, 100);
  void exited.then(() => clearInterval(sampler));

  const failure = (what: string) =>
    new Error(`${name} ${what}; last output (all in .data/bench/logs/${name}.log):\n${tail}`);
  return {
    name,
    child,
    healthPort,
    exited,
    peakRssMiB: () => {
      sample();
      return kibToMiB(peakKiB);
    },
    readyPeakRssMiB: () => (readyPeakKiB === undefined ? undefined : kibToMiB(readyPeakKiB)),
    rssMiB: () => {
      const kib = statusKiB(child.pid!, 'VmRSS');
      return kib === undefined ? undefined : kibToMiB(kib);
    },
    waitUntilReady: async (timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) throw failure(`exited (${child.exitCode}) before it was ready`);
        if (await isReady(healthPort)) {
          sample();
          readyPeakKiB = peakKiB;
          return;
        }
        if (Date.now() > deadline) throw failure(`not ready after ${timeoutMs / 1000} s`);
        await sleep(250);
      }
    },
    stop: async (timeoutMs = 30_000) => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/**
 * Stops every role still running (on the way out of a failed phase, too), a group at a time, each
 * group's processes at once: pollers before the workers whose workflows they may still wait for.
 */
export async function stopAll(...groups: RoleProcess[][]): Promise<(number | null)[][]> {
  const codes: (number | null)[][] = [];
  for (const group of groups) codes.push(await Promise.all(group.map((role) => role.stop())));
  return codes;
}

/**
 * Waits until `remaining()` is 0. Fails when a role exits meanwhile or when the count has not gone
 * down for `stallMs` (a loaded machine slows the run; it does not fail it).
 */
export async function waitUntilNone(
  what: string,
  remaining: () => Promise<number>,
  roles: RoleProcess[],
  { stallMs = 180_000, intervalMs = 100 } = {},
): Promise<void> {
  let last = Infinity;
  let progressAt = Date.now();
  for (;;) {
    const stopped = roles.find((role) => role.child.exitCode !== null);
    if (stopped) throw new Error(`${stopped.name} exited (${stopped.child.exitCode}) during the run`);
    const count = await remaining();
    if (count === 0) return;
    if (count < last) {
      last = count;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > stallMs) {
      throw new Error(`${what}: ${count} left and no progress for ${stallMs / 1000} s`);
    }
    await sleep(intervalMs);
  }
}
