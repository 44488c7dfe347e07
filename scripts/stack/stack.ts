/** The local stack as a whole: which servers, in what order, and the env file that describes them. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FatalError } from '../../src/platform/main';
import { DATA_DIR, STACK_ENV_FILE } from './paths';
import { crashProcess, runningPid, startDetached, stopProcess, waitUntil } from './processes';
import { portFromEnv, type StackService } from './service';
import { cloudWatchService } from './services/cloudwatch';
import { elasticMqService } from './services/elasticmq';
import { postgresService } from './services/postgres';
import { redisService } from './services/redis';
import { simulatorService } from './services/simulator';
import { sqsService } from './services/sqs';
import { temporalService } from './services/temporal';

/** Queue names of the local stack get their own environment prefix, as staging and prod would. */
const LOCAL_QUEUE_PREFIX = 'local-';

export function localStack(): StackService[] {
  return [
    postgresService({ port: portFromEnv('STACK_POSTGRES_PORT', 15432) }),
    redisService({ port: portFromEnv('STACK_REDIS_PORT', 16379) }),
    sqsService({ port: portFromEnv('STACK_SQS_PORT', 14566) }),
    elasticMqService({ port: portFromEnv('STACK_ELASTICMQ_PORT', 19324) }),
    temporalService({
      name: 'temporal',
      port: portFromEnv('STACK_TEMPORAL_PORT', 17233),
      uiPort: portFromEnv('STACK_TEMPORAL_UI_PORT', 18233),
      dataDir: path.join(DATA_DIR, 'temporal'),
    }),
    simulatorService({ port: portFromEnv('STACK_SIMULATOR_PORT', 18090) }),
    cloudWatchService({ port: portFromEnv('STACK_CLOUDWATCH_PORT', 14580) }),
  ];
}

const processOf = (service: StackService) => ({ name: service.name, command: service.program() });

async function isHealthy(service: StackService): Promise<boolean> {
  return service.isHealthy().catch(() => false);
}

export async function startService(service: StackService): Promise<'started' | 'running'> {
  const alreadyRunning = runningPid(processOf(service)) !== undefined;
  if (!alreadyRunning) {
    if (await isHealthy(service)) {
      throw new Error(
        `${service.name}: something else already answers on its port; stop it or set another port (see README)`,
      );
    }
    startDetached(await service.prepare());
  }
  await waitUntil(service.name, () => isHealthy(service), { timeoutMs: service.startTimeoutMs, logName: service.name });
  await service.afterStart?.();
  return alreadyRunning ? 'running' : 'started';
}

export async function stopService(service: StackService): Promise<boolean> {
  return stopProcess(processOf(service), { signal: service.stopSignal });
}

/** SIGKILL of the server and its children, no orderly shutdown (see crashProcess). */
export async function crashService(service: StackService): Promise<void> {
  await crashProcess(processOf(service));
}

/** 32 random bytes, made once and kept in `.data/<file>`: what depends on a secret outlives one stack:up. */
function localSecret(file: string, encoding: 'base64' | 'base64url'): string {
  const secretFile = path.join(DATA_DIR, file);
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString(encoding), { mode: 0o600 });
  return readFileSync(secretFile, 'utf8').trim();
}

/** The local keyring's one key: the local database's sealed credentials depend on it. */
const localCredentialsKey = () => localSecret('credentials.key', 'base64');

/** The local admin server's token (43 characters, safe in a header, a cookie or a shell). */
const localAdminToken = () => localSecret('admin.token', 'base64url');

export function writeStackEnv(services: StackService[]): void {
  mkdirSync(DATA_DIR, { recursive: true });
  const env = {
    ...Object.assign({}, ...services.map((s) => s.env())),
    QUEUE_PREFIX: LOCAL_QUEUE_PREFIX,
    CREDENTIALS_KEYS: `local:${localCredentialsKey()}`,
    CREDENTIALS_ACTIVE_KEY_ID: 'local',
    DOCUMENT_STORE_DIR: path.join(DATA_DIR, 'documents'),
    ADMIN_TOKEN: localAdminToken(),
  };
  writeFileSync(
    STACK_ENV_FILE,
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
}

export async function stackUp(services = localStack()): Promise<void> {
  const results = await Promise.allSettled(
    services.map(async (service) => {
      const state = await startService(service);
      console.log(`${state === 'started' ? 'started' : 'running'}  ${service.summary()}`);
    }),
  );
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  if (failures.length)
    throw new FatalError(`stack:up failed:\n  ${failures.map((error) => error.message).join('\n  ')}`);
  writeStackEnv(services);
  console.log(`endpoints written to ${path.relative(process.cwd(), STACK_ENV_FILE) || STACK_ENV_FILE}`);
}

export async function stackDown(services = localStack()): Promise<void> {
  for (const service of [...services].reverse()) {
    console.log(`${(await stopService(service)) ? 'stopped' : 'not running'}  ${service.name}`);
  }
}

/** Returns whether every service runs and answers. */
export async function stackStatus(services = localStack()): Promise<boolean> {
  const states = await Promise.all(
    services.map(async (service) => {
      const pid = runningPid(processOf(service));
      const healthy = pid !== undefined && (await isHealthy(service));
      return { service, pid, healthy };
    }),
  );
  for (const { service, pid, healthy } of states) {
    const state = pid === undefined ? 'stopped' : healthy ? `up (pid ${pid})` : `not answering (pid ${pid})`;
    console.log(`${service.name.padEnd(9)} ${state.padEnd(24)} ${service.summary()}`);
  }
  return states.every((state) => state.healthy);
}

/** Fills unset variables from `.data/stack.env`, so local commands find the stack without exports. */
export function loadStackEnv(file = STACK_ENV_FILE): void {
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match && process.env[match[1]!] === undefined) process.env[match[1]!] = match[2];
  }
}
