/**
 * A REDIS_URL that points at a replica (no Sentinel to name the master): a write fails at once with
 * Redis's READONLY error, which says what is wrong, instead of reconnecting to the same replica and
 * sending it again forever. Reconnecting on READONLY is for Sentinel, where the sentinels name the
 * new master (test/stack/sentinel.test.ts). On this test's own ports, 44051-44052.
 */
import { loadConfig } from '../../src/config';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { createRedisConnection, type RedisConnection } from '../../src/platform/redis';
import { redisProcesses, waitForRedis } from '../support/redis-processes';

const [MASTER, REPLICA] = [44051, 44052];

describe('a REDIS_URL that points at a replica', () => {
  const redis = redisProcesses('redis-readonly-test');
  let connection: RedisConnection;

  beforeAll(async () => {
    redis.server(MASTER);
    await waitForRedis(MASTER);
    redis.server(REPLICA, ['--replicaof', '127.0.0.1', String(MASTER)]);
    await waitForRedis(REPLICA);
    connection = createRedisConnection(loadConfig({ ...process.env, REDIS_URL: `redis://127.0.0.1:${REPLICA}` }), {
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
