/** Debian's redis-server with AOF persistence and no eviction, which BullMQ requires. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { redisReady } from '../../../src/platform/probes';
import { DATA_DIR } from '../paths';
import { ensureDebianProgram } from '../install';
import { findOnPath } from '../processes';
import type { StackService } from '../service';

export function redisService({
  port,
  name = 'redis',
  dataDir = path.join(DATA_DIR, 'redis'),
}: {
  port: number;
  name?: string;
  dataDir?: string;
}): StackService {
  return {
    name,
    stopSignal: 'SIGTERM',
    startTimeoutMs: 30_000,
    program: () => findOnPath('redis-server') ?? 'redis-server',
    async prepare() {
      const command = ensureDebianProgram('redis-server', 'redis-server');
      mkdirSync(dataDir, { recursive: true });
      return {
        name,
        command,
        args: [
          '--bind',
          '127.0.0.1',
          '--port',
          String(port),
          '--dir',
          dataDir,
          '--daemonize',
          'no',
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--maxmemory-policy',
          'noeviction',
          // AOF is the persistence; RDB snapshots would only add fork pauses.
          '--save',
          '',
        ],
      };
    },
    async isHealthy() {
      const redis = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      redis.on('error', () => undefined); // a refused connection is the answer "not up yet"
      try {
        await redis.connect();
        await redisReady(redis)();
        return true;
      } finally {
        redis.disconnect();
      }
    },
    env: () => ({ REDIS_URL: `redis://127.0.0.1:${port}` }),
    summary: () => `Redis redis://127.0.0.1:${port}`,
  };
}
