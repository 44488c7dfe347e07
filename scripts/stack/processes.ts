/**
 * Starting and stopping the stack's server processes. Each one runs detached with its output in
 * `.data/logs/<name>.log` and its pid in `.data/pids/<name>.pid`; before signalling a pid we check
 * it still runs the program we started, so `stack:down` never kills a stranger that reused the pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOGS_DIR, PIDS_DIR } from './paths';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Run as another user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
}

const pidFile = (name: string) => path.join(PIDS_DIR, `${name}.pid`);
export const logFile = (name: string) => path.join(LOGS_DIR, `${name}.log`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runsCommand(pid: number, command: string): boolean {
  try {
    // Some servers (redis-server) rewrite their title to "name host:port", hence the split on spaces.
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/)[0] ?? '';
    return path.basename(argv0) === path.basename(command);
  } catch {
    return false;
  }
}

/** The pid we started for this spec, if that process is still the one running. */
export function runningPid(spec: Pick<ProcessSpec, 'name' | 'command'>): number | undefined {
  if (!existsSync(pidFile(spec.name))) return undefined;
  const pid = Number(readFileSync(pidFile(spec.name), 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && runsCommand(pid, spec.command)) return pid;
  rmSync(pidFile(spec.name), { force: true });
  return undefined;
}

export function startDetached(spec: ProcessSpec): number {
  mkdirSync(LOGS_DIR, { recursive: true });
  mkdirSync(PIDS_DIR, { recursive: true });
  const log = openSync(logFile(spec.name), 'a');
  const child = spawn(spec.command, spec.args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, ...spec.env },
    uid: spec.user?.uid,
    gid: spec.user?.gid,
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
  child.unref();
  writeFileSync(pidFile(spec.name), `${child.pid}\n`);
  return child.pid;
}

export async function stopProcess(
  spec: Pick<ProcessSpec, 'name' | 'command'>,
  { signal = 'SIGTERM' as NodeJS.Signals, timeoutMs = 30_000 } = {},
): Promise<boolean> {
  const pid = runningPid(spec);
  if (pid === undefined) return false;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    console.error(`${spec.name} did not stop within ${timeoutMs} ms; sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(pidFile(spec.name), { force: true });
  return true;
}

/** Whether any process of the group `pgid` is left (a zombie counts until its parent reaps it). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SIGKILL of the process we started and of every process it started (its group: each server is
 * started detached, so it leads its own): what a lost node or an OOM kill does. No shutdown hook
 * runs, so the next start meets what a crash leaves (PostgreSQL's postmaster.pid, a torn AOF
 * tail). Returns once the whole group is gone; PostgreSQL's backends would otherwise keep its
 * shared memory and refuse the new postmaster.
 */
export async function crashProcess(spec: Pick<ProcessSpec, 'name' | 'command'>, timeoutMs = 30_000): Promise<void> {
  const pid = runningPid(spec);
  if (pid === undefined) throw new Error(`${spec.name} is not running: there is nothing to crash`);
  process.kill(-pid, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`${spec.name}'s processes outlived SIGKILL for ${timeoutMs} ms`);
    await sleep(50);
  }
  rmSync(pidFile(spec.name), { force: true });
}

export async function waitUntil(
  description: string,
  check: () => Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 250, logName }: { timeoutMs?: number; intervalMs?: number; logName?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(intervalMs);
  }
  const hint = logName ? ` (see ${path.relative(process.cwd(), logFile(logName))})` : '';
  throw new Error(`${description} not ready after ${timeoutMs / 1000} s${hint}`);
}

/** The full path of a program on PATH, like `command -v`. */
export function findOnPath(program: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found.startsWith('/') ? found : undefined;
}

/** Whether a role's health server answers `/readyz` with 200; no answer counts as not ready. */
export async function isReady(healthPort: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${healthPort}/readyz`, {
    signal: AbortSignal.timeout(2_000),
  }).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status === 200;
}
