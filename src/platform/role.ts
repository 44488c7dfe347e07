/**
 * One life for every role: read the configuration, build the role, check the servers it needs, let it
 * prepare, answer /livez and /readyz, run until the first SIGINT/SIGTERM, stop in order, exit 0. Each
 * role (src/workers) says only what it needs and does; the order and the operator-facing lines are here.
 */
import { loadConfig, type Config } from '../config';
import { startHealthServer, type ReadinessChecks } from './health-server';
import { roleLogger, type Logger } from './logger';
import { onShutdownSignal, runMain } from './main';
import { requireServers, type Dependency } from './startup-checks';

export interface Role {
  /** Checked (up to STARTUP_WAIT_MS) before the role uses any of them: one clear line when one is not there. */
  servers: Dependency[];
  /** Work that needs the servers and must be done before the role answers /readyz. */
  prepare?: () => Promise<void>;
  /** Behind /readyz; read once prepare is done. */
  checks: ReadinessChecks;
  /** Does the role's work; resolves once the work has ended after `stop`. */
  run: () => Promise<void>;
  /** Called once, on the first SIGINT/SIGTERM: stop taking work, finish or release what is in flight. */
  stop: (signal: NodeJS.Signals) => Promise<void>;
  /** Releases what the role holds once `run` has ended. */
  close?: () => Promise<void>;
}

export type RoleBuilder = (config: Config, log: Logger) => Role | Promise<Role>;

/** Runs a role (its row of src/workers/roles.ts: its name and its log lines' `role`) as its process's whole life. */
export function runRole({ name, logName }: { name: string; logName: string }, build: RoleBuilder): void {
  runMain(async () => {
    const config = loadConfig();
    const log = roleLogger(config, logName);
    const role = await build(config, log);
    await requireServers(role.servers);
    await role.prepare?.();
    const health = await startHealthServer({ port: config.observability.healthPort, checks: role.checks, log });
    let stopping: Promise<void> | undefined;
    onShutdownSignal((signal) => {
      health.markStopping();
      stopping = role.stop(signal);
      return stopping;
    });
    await role.run();
    // `run` can end before `stop` has finished (a poller's loop ends while its workflows in flight are awaited).
    await stopping;
    await role.close?.();
    await health.close();
    log.info(`${name}: stopped`);
    // A handle a library leaves open (a keep-alive socket, a timer) must not keep a stopped role alive.
    process.exit(0);
  });
}

/** For roles whose work is driven by others (BullMQ workers, an HTTP server): `run` waits until `stop` releases it. */
export function untilStopped(): { stopped: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (release = resolve));
  return { stopped, release };
}
