import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { loadConfig } from '../../src/config';
import { assertNoEviction, createRedisConnection, type RedisConnection } from '../../src/platform/redis';

const config = loadConfig();
let redis: RedisConnection;

beforeAll(() => {
  redis = createRedisConnection(config);
});

afterAll(async () => {
  await redis.quit();
});

describe('Redis on the local stack', () => {
  it('is configured for BullMQ: AOF every second, no eviction', async () => {
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
    await expect(assertNoEviction(redis)).resolves.toBeUndefined();
  });

  it('round-trips a BullMQ job', async () => {
    const name = `test-roundtrip-${randomUUID()}`;
    // BullMQ leaves connections it was given open, so the test owns and closes them.
    const workerConnection = createRedisConnection(config, { blocking: true });
    const eventsConnection = createRedisConnection(config, { blocking: true });
    const prefix = config.redis.keyPrefix;
    const queue = new Queue(name, { connection: redis, prefix });
    const events = new QueueEvents(name, { connection: eventsConnection, prefix });
    const worker = new Worker(name, async (job) => ({ doubled: (job.data as { n: number }).n * 2 }), {
      connection: workerConnection,
      prefix,
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add('double', { n: 21 });
      expect(await job.waitUntilFinished(events, 10_000)).toEqual({ doubled: 42 });
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await Promise.all([workerConnection.quit(), eventsConnection.quit()]);
    }
  });

  it('refuses a Redis that may evict keys', async () => {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    const other = createRedisConnection(config);
    try {
      await other.config('SET', 'maxmemory-policy', 'allkeys-lru');
      await expect(assertNoEviction(other)).rejects.toThrow(
        'Redis maxmemory-policy is "allkeys-lru"; BullMQ needs "noeviction"',
      );
    } finally {
      await other.config('SET', 'maxmemory-policy', policy);
      await other.quit();
    }
  });
});
