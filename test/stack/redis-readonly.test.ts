/**
 * A REDIS_URL that points at a replica (no Sentinel to name the master): a write fails at once with
 * Redis's READONLY error, which says what is wrong, instead of reconnecting to the same replica and
 * sending it again forever. Reconnecting on READONLY is for Sentinel, where the sentinels name the
 * new master (test/stack/sentinel.test.ts). On ports of its own, from the kernel.
 */
import { loadConfig } from '../../src/config';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { createRedisConnection, type RedisConnection } from '../../src/platform/redis';
import { freePorts } from '../../src/platform/free-ports';
import { redisProcesses } from '../support/redis-processes';

describe('a REDIS_URL that points at a replica', () => {
  const redis = redisProcesses('redis-readonly-test');
  let connection: RedisConnection;

  beforeAll(async () => {
    const [master, replica] = (await freePorts(2)) as [number, number];
    redis.server(master);
    await redis.ready(master);
    redis.server(replica, ['--replicaof', '127.0.0.1', String(master)]);
    await redis.ready(replica);
    connection = createRedisConnection(loadConfig({ ...process.env, REDIS_URL: `redis://127.0.0.1:${replica}` }), {
      log: SILENT_LOGGER,
    });
  });
  afterAll(async () => {
    connection?.disconnect();
    await redis.killAll();
  });

  it('fails a write at once with READONLY', async () => {
    const startedAt = Date.now();
    await expect(connection.set('written-to-a-replica', '1')).rejects.toThrow(/^READONLY/);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });
});
