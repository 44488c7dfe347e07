import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { waitUntil } from '../../scripts/stack/processes';
import { redisService } from '../../scripts/stack/services/redis';
import { loadConfig } from '../../src/config';
import { createRedisConnection } from '../../src/platform/redis';
import { SWEEPS } from '../../src/sweeps/registry';
import { runEntryPoint } from '../support/run-command';
import { startRole } from '../support/role-process';

jest.setTimeout(120_000);

describe('sweep schedulers (BullMQ Job Schedulers)', () => {
  // A key prefix of its own: this test's schedulers are invisible to every other process.
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  const env = { ...process.env, REDIS_KEY_PREFIX: prefix, SWEEP_TIMEZONE: 'Asia/Kolkata' };
  const config = loadConfig(env);

  it('exist once each, with the exact patterns, after two sweep processes start at once', async () => {
    const roles = [startRole('sweep-worker', env), startRole('sweep-worker', env)];
    await Promise.all(roles.map((role) => role.waitForOutput('schedulers upserted')));

    const redis = createRedisConnection(config);
    try {
      for (const sweep of SWEEPS) {
        const queue = new Queue(sweep.name, { connection: redis, prefix });
        const schedulers = await queue.getJobSchedulers();
        expect(schedulers.map((s) => ({ key: s.key, pattern: s.pattern, tz: s.tz }))).toEqual([
          { key: sweep.name, pattern: sweep.pattern, tz: 'Asia/Kolkata' },
        ]);
        // One upcoming tick per scheduler, not one per process.
        expect(await queue.getDelayedCount()).toBe(1);
        await queue.close();
      }
      expect(SWEEPS.map((s) => `${s.name} ${s.pattern}`)).toEqual([
        'scheduling-sweep */5 * * * *',
        'ajio-token-revalidation 0 */4 * * *',
        'ajio-orders-autosync 0 * * * *',
        'claim-sweeper 0 2 * * *',
      ]);
    } finally {
      for (const role of roles) role.child.kill('SIGTERM');
      const codes = await Promise.all(roles.map((role) => role.exited));
      expect(codes).toEqual([0, 0]);
      for (const sweep of SWEEPS) {
        const queue = new Queue(sweep.name, { connection: redis, prefix });
        await queue.obliterate({ force: true });
        await queue.close();
      }
      await redis.quit();
    }
  });

  it('refuses, in one line, a Redis that may evict keys', async () => {
    const port = 16000 + Math.floor(Math.random() * 1000);
    const lru = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitUntil('the evicting redis-server', () => redisService({ port }).isHealthy(), { timeoutMs: 10_000 });
      const result = await runEntryPoint('sweep-worker', {
        env: { ...env, REDIS_URL: `redis://127.0.0.1:${port}` },
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        'Redis maxmemory-policy is "allkeys-lru"; BullMQ needs "noeviction" or it may lose jobs and schedulers',
      );
    } finally {
      lru.kill('SIGKILL');
      await new Promise((resolve) => lru.once('exit', resolve));
    }
  });
});
