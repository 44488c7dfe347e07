/**
 * A private slice of the local stack for one test file: its own database (migrated by the real
 * migrate command) and its own queue prefix (provisioned by the real provisioning code), so test
 * files can run in parallel without seeing each other's rows or messages.
 */
import { randomUUID } from 'node:crypto';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import { loadConfig, type Config } from '../../src/config';
import { provisionQueues, type ProvisionedQueue } from '../../src/queues/provision';
import { createSweepDependencies } from '../../src/sweeps/sweep-dependencies';
import type { SweepDependencies } from '../../src/sweeps/run-sweep';
import { runEntryPoint } from './run-command';
import { drainQueue, type ReceivedMessage } from './sqs';

export interface IsolatedEnvironment {
  config: Config;
  env: NodeJS.ProcessEnv;
  deps: SweepDependencies;
  queues: ProvisionedQueue[];
  queueUrl: (logicalName: string) => string;
  /** Receives and deletes every message of every queue; lists the queues that had any. */
  drainAll: () => Promise<{ queue: string; messages: ReceivedMessage[] }[]>;
  cleanup: () => Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: loadConfig().database.url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An empty database of its own (no migrations run), for tests of the migrations themselves. */
export async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = `test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = new URL(loadConfig().database.url);
  url.pathname = `/${database}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`) };
}

export async function isolatedEnvironment(overrides: NodeJS.ProcessEnv = {}): Promise<IsolatedEnvironment> {
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const database = `test_${id}`;
  const url = new URL(loadConfig().database.url);
  url.pathname = `/${database}`;
  const env = { ...process.env, DATABASE_URL: url.toString(), QUEUE_PREFIX: `t${id}-`, ...overrides };

  await adminQuery(`CREATE DATABASE ${database}`);
  const migrated = await runEntryPoint('src/commands/migrate.ts', { env });
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);

  const config = loadConfig(env);
  const deps = createSweepDependencies(config);
  const queues = await provisionQueues(deps.sqs, config.queues.prefix);
  const queueUrl = (name: string) => {
    const found = queues.find((q) => q.queue.name === name);
    if (!found) throw new Error(`no queue ${name}`);
    return found.url;
  };
  const drainAll = async () => {
    const all = await Promise.all(
      queues.map(async ({ queue, url: q }) => ({ queue: queue.name, messages: await drainQueue(deps.sqs, q) })),
    );
    return all.filter((q) => q.messages.length > 0);
  };
  return {
    config,
    env,
    deps,
    queues,
    queueUrl,
    drainAll,
    cleanup: async () => {
      await Promise.all(
        queues.flatMap(({ url: q, dlqUrl }) =>
          [q, dlqUrl].map((QueueUrl) => deps.sqs.send(new DeleteQueueCommand({ QueueUrl }))),
        ),
      );
      await deps.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}
