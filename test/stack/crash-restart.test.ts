/**
 * A server SIGKILLed (no shutdown: PostgreSQL's postmaster.pid and backends, Redis's AOF tail as a
 * crash leaves them) starts again on its data, as the chaos run's crash-* events need. On servers of
 * this file's own ports and data folders, so killing them disturbs no other test.
 */
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { portFromEnv } from '../../scripts/stack/service';
import { postgresService } from '../../scripts/stack/services/postgres';
import { redisService } from '../../scripts/stack/services/redis';
import { crashService, startService } from '../../scripts/stack/stack';
import { privateDataDir, usePrivateServer } from '../support/private-server';

jest.setTimeout(180_000);

const postgresDir = privateDataDir('crash-postgres');
const postgres = postgresService({
  name: 'crash-postgres-test',
  port: portFromEnv('STACK_TEST_CRASH_POSTGRES_PORT', 25452),
  dataDir: postgresDir,
});
usePrivateServer(postgres, postgresDir);

const redisDir = privateDataDir('crash-redis');
const redis = redisService({
  name: 'crash-redis-test',
  port: portFromEnv('STACK_TEST_CRASH_REDIS_PORT', 26393),
  dataDir: redisDir,
});
usePrivateServer(redis, redisDir);

async function withPostgres<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: postgres.env().DATABASE_URL });
  client.on('error', () => undefined); // a session open at the kill dies with the server
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

it('PostgreSQL SIGKILLed with sessions open starts again from its WAL with every committed row', async () => {
  await withPostgres((client) => client.query('CREATE TABLE IF NOT EXISTS crash_probe (n int)'));
  await withPostgres((client) => client.query('INSERT INTO crash_probe SELECT generate_series(1, 1000)'));
  // A session still open at the kill, and one transaction left uncommitted.
  const open = new Client({ connectionString: postgres.env().DATABASE_URL });
  open.on('error', () => undefined);
  await open.connect();
  await open.query('BEGIN');
  await open.query('INSERT INTO crash_probe VALUES (-1)');

  await crashService(postgres);
  await open.end().catch(() => undefined); // its server died under it
  // What a crash leaves: the lock file of a postmaster that no longer runs.
  expect(existsSync(path.join(postgresDir, 'postmaster.pid'))).toBe(true);
  await sleep(1_000);
  await startService(postgres);

  const { rows } = await withPostgres((client) =>
    client.query<{ count: number; min: number }>('SELECT count(*)::int AS count, min(n)::int AS min FROM crash_probe'),
  );
  expect(rows[0]).toEqual({ count: 1000, min: 1 });
});

it('Redis SIGKILLed starts again from its AOF with the writes fsynced before the kill', async () => {
  const connect = () => new Redis({ port: Number(new URL(redis.env().REDIS_URL!).port), host: '127.0.0.1' });
  const before = connect();
  await before.set('crash-probe', 'kept');
  // appendfsync everysec: a write is on disk at the latest a second later.
  await sleep(1_500);
  before.disconnect();

  await crashService(redis);
  await startService(redis);

  const after = connect();
  try {
    expect(await after.get('crash-probe')).toBe('kept');
  } finally {
    after.disconnect();
  }
});
