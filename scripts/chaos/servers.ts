/**
 * The chaos run's own PostgreSQL, Redis, Temporal server and marketplace simulator: the servers it
 * restarts. They run from the stack's service definitions on their own ports and data folders, so
 * a restart here disturbs nothing else (SQS, which the run never restarts, is the stack's, under a
 * queue prefix of the run's own).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DATA_DIR } from '../stack/paths';
import { portFromEnv, type StackService } from '../stack/service';
import { postgresService } from '../stack/services/postgres';
import { redisService } from '../stack/services/redis';
import { simulatorService } from '../stack/services/simulator';
import { temporalService } from '../stack/services/temporal';
import { startService, stopService } from '../stack/stack';

/** `CHAOS_DATA_DIR` moves it, so two runs on one machine keep their servers' data apart. */
export const CHAOS_DIR = process.env.CHAOS_DATA_DIR ?? path.join(DATA_DIR, 'chaos');

export interface ChaosServers {
  postgres: StackService;
  redis: StackService;
  temporal: StackService;
  simulator: StackService;
}

export function chaosServers(seed: number): ChaosServers {
  const dataDir = (name: string) => path.join(CHAOS_DIR, name);
  // The port in the name keeps each run's pid file (.data/pids/<name>.pid) and log apart: two runs
  // on one machine (their own CHAOS_*_PORT) must never stop or crash each other's servers.
  const postgresPort = portFromEnv('CHAOS_POSTGRES_PORT', 25432);
  const redisPort = portFromEnv('CHAOS_REDIS_PORT', 26379);
  const temporalPort = portFromEnv('CHAOS_TEMPORAL_PORT', 27333);
  const simulatorPort = portFromEnv('CHAOS_SIMULATOR_PORT', 28190);
  return {
    postgres: postgresService({
      name: `chaos-postgres-${postgresPort}`,
      port: postgresPort,
      dataDir: dataDir('postgres'),
    }),
    redis: redisService({ name: `chaos-redis-${redisPort}`, port: redisPort, dataDir: dataDir('redis') }),
    temporal: temporalService({
      name: `chaos-temporal-${temporalPort}`,
      port: temporalPort,
      uiPort: portFromEnv('CHAOS_TEMPORAL_UI_PORT', 28333),
      dataDir: dataDir('temporal'),
    }),
    simulator: simulatorService({ name: `chaos-simulator-${simulatorPort}`, port: simulatorPort, seed }),
  };
}

const all = (servers: ChaosServers) => Object.values(servers) as StackService[];

/** Every run starts from empty data folders: what it checks afterwards is this run's alone. */
export async function startFresh(servers: ChaosServers): Promise<void> {
  await stopAll(servers);
  for (const name of ['postgres', 'redis', 'temporal', 'documents']) {
    rmSync(path.join(CHAOS_DIR, name), { recursive: true, force: true });
  }
  await Promise.all(all(servers).map((server) => startService(server)));
}

export async function stopAll(servers: ChaosServers): Promise<void> {
  await Promise.all(all(servers).map((server) => stopService(server)));
}

export async function restart(server: StackService, downMs = 0): Promise<void> {
  await stopService(server);
  await sleep(downMs);
  await startService(server);
}

/** The variables that point a role at these servers. */
export function serverEnv(servers: ChaosServers): Record<string, string> {
  return Object.assign({}, ...all(servers).map((server) => server.env()));
}
