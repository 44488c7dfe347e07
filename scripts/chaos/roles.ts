/**
 * The service's roles as the chaos run's own child processes: started as a deployment starts them,
 * killed with SIGKILL (no shutdown hook runs) and started again. An exit the run did not cause is a
 * crash, and counts against the run.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RoleName } from '../../src/workers/roles';
import { spawnEntry, type Launchable } from '../harness/spawn';
import { isReady } from '../stack/processes';

export interface RoleExit {
  role: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /**
   * Whether the role had been ready (its /readyz answered 200) before it exited. A role that cannot
   * reach a server at start-up exits with one line, and its orchestrator starts it again; a role
   * that was running and exits is a crash.
   */
  wasReady: boolean;
}

/** Starts a role or command with its output appended to `logFile`. */
export function spawnLogged(target: Launchable, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  try {
    return spawnEntry(target, { args, env, stdio: ['ignore', log, log] });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log);
  }
}

export class SupervisedRole {
  private child?: ChildProcess;
  private killedByUs = false;
  private ready = false;
  /** SIGSTOPped by the run: not crashed, not exited; it runs on at SIGCONT. */
  private paused = false;
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly role: RoleName,
    private readonly env: NodeJS.ProcessEnv,
    private readonly healthPort: number,
    private readonly logFile: string,
    private readonly onExit: (exit: RoleExit) => void,
  ) {}

  start(): void {
    this.killedByUs = false;
    this.ready = false;
    const child = spawnLogged(
      this.role,
      [],
      { ...this.env, HEALTH_PORT: String(this.healthPort), TEMPORAL_METRICS_PORT: '0' },
      this.logFile,
    );
    child.on('exit', (code, signal) => {
      if (!this.killedByUs) this.onExit({ role: this.name, code, signal, wasReady: this.ready });
    });
    this.child = child;
    void this.watchReadiness(child);
  }

  private async watchReadiness(child: ChildProcess): Promise<void> {
    while (child.exitCode === null && child.signalCode === null && this.child === child) {
      if (await isReady(this.healthPort)) {
        this.ready = true;
        return;
      }
      await sleep(500);
    }
  }

  /** SIGKILL: what an OOM kill or a lost node does to a process. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /**
   * SIGSTOP for `pauseMs`, then SIGCONT: what a long GC pause, a frozen VM or a throttled container
   * does. The process keeps its sockets and its leases run out meanwhile; it must carry on when it
   * wakes. A pause is no exit, so the supervisor never counts it as a crash.
   */
  async pause(pauseMs: number): Promise<boolean> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    this.paused = true;
    child.kill('SIGSTOP');
    try {
      await sleep(pauseMs);
    } finally {
      child.kill('SIGCONT');
      this.paused = false;
    }
    return true;
  }

  async restart(): Promise<void> {
    this.restarts += 1;
    this.start();
  }

  /** SIGTERM and the role's own orderly shutdown at the end of the run; SIGKILL if it hangs. */
  async stop(timeoutMs = 60_000): Promise<void> {
    await this.signal('SIGTERM', timeoutMs);
  }

  private async signal(signal: NodeJS.Signals, timeoutMs?: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.killedByUs = true;
    const exited = runToEnd(child);
    child.kill(signal);
    // A stopped process acts on SIGTERM only once it runs again.
    if (this.paused && signal !== 'SIGKILL') child.kill('SIGCONT');
    if (timeoutMs === undefined) return void (await exited);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Runs a command (a sweep) to its end; returns how it ended. */
export function runToEnd(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}
