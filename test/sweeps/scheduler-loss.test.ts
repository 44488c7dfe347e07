/**
 * Redis loses the sweeps' Job Schedulers under a running sweep role (its own process): a FLUSHALL, as
 * after a fail-over to an empty replica. On a private Redis, so FLUSHALL and CONFIG SET touch no other
 * test's keys. The role puts the schedulers back within a minute by itself, and /readyz stays green
 * while they are missing for less than 30 s. When they cannot be put back, /readyz turns red after
 * 30 s: `min-replicas-to-write 1` (and no replica) makes that Redis refuse every write, BullMQ's
 * scheduler scripts included, while it still answers reads and PING, so the role's Redis check stays
 * green and only the scheduler check can be what turns it red.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { portFromEnv } from '../../scripts/stack/service';
import { redisService } from '../../scripts/stack/services/redis';
import { SCHEDULER_MISSING_GRACE_MS } from '../../src/sweeps/schedulers';
import { SWEEPS } from '../../src/sweeps/registry';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { privateDataDir, usePrivateServer } from '../support/private-server';
import { loggedPort, startRole, type RoleProcess } from '../support/role-process';

jest.setTimeout(240_000);

const port = portFromEnv('STACK_TEST_SCHEDULER_LOSS_REDIS_PORT', 26391);
const dataDir = privateDataDir('scheduler-loss');
usePrivateServer(redisService({ name: 'scheduler-loss-redis', port, dataDir }), dataDir);

const MINUTE = 60_000;

describe('the sweep role after Redis lost its schedulers', () => {
  let t: IsolatedEnvironment;
  let role: RoleProcess;
  let redis: Redis;
  let queues: Queue[];
  let health: string;

  beforeAll(async () => {
    // Its own database and queues: a tick that fires during the test sweeps nothing of anyone else's.
    t = await isolatedEnvironment({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'schedloss' });
    redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
    queues = SWEEPS.map((sweep) => new Queue(sweep.name, { connection: redis, prefix: 'schedloss' }));
    role = startRole('sweep-worker', t.env);
    health = `http://127.0.0.1:${await loggedPort(role, 'health server listening')}/readyz`;
    await role.waitForOutput('schedulers upserted');
  });
  afterAll(async () => {
    if (role && role.child.exitCode === null) {
      role.child.kill('SIGTERM');
      await role.exited;
    }
    await Promise.all(queues.map((queue) => queue.close()));
    await redis?.quit();
    await t?.cleanup();
  });

  const readiness = async () => {
    const response = await fetch(health);
    return {
      status: response.status,
      body: (await response.json()) as { checks?: Record<string, { ok: boolean; error?: string }> },
    };
  };
  /** The sweeps whose scheduler is in Redis, with its next tick waiting as a delayed job. */
  const scheduled = async () => {
    const present = await Promise.all(
      queues.map(
        async (queue) =>
          (await queue.getJobScheduler(queue.name)) !== undefined && (await queue.getDelayedCount()) === 1,
      ),
    );
    return SWEEPS.filter((_sweep, index) => present[index]).map((sweep) => sweep.name);
  };
  const allSweeps = SWEEPS.map((sweep) => sweep.name);

  it('is ready with every scheduler in place', async () => {
    expect(await scheduled()).toEqual(allSweeps);
    expect((await readiness()).status).toBe(200);
  });

  it('puts the schedulers back within a minute, green all the while', async () => {
    await redis.flushall();
    const lostAt = Date.now();
    expect(await scheduled()).toEqual([]);
    const statuses: number[] = [];
    while (Date.now() - lostAt < MINUTE && (await scheduled()).length < allSweeps.length) {
      statuses.push((await readiness()).status);
      await sleep(250);
    }
    const backAfterMs = Date.now() - lostAt;
    expect(await scheduled()).toEqual(allSweeps);
    expect(backAfterMs).toBeLessThan(MINUTE);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));
    // The role logs after the upsert has landed, so its line may still be in the pipe.
    await role.waitForOutput('job scheduler was missing from Redis; re-created', 5_000);
    console.log(`schedulers back ${backAfterMs} ms after the FLUSHALL`);
  });

  it('turns /readyz red once they have been missing for 30 s and cannot be put back, green again after', async () => {
    // Both at once, so the role cannot re-create anything in between.
    await redis.multi().flushall().config('SET', 'min-replicas-to-write', '1').exec();
    const lostAt = Date.now();
    try {
      let red: Awaited<ReturnType<typeof readiness>> | undefined;
      while (!red && Date.now() - lostAt < SCHEDULER_MISSING_GRACE_MS + MINUTE) {
        const answer = await readiness();
        if (answer.status !== 200) red = answer;
        else await sleep(500);
      }
      const redAfterMs = Date.now() - lostAt;
      expect(red?.status).toBe(503);
      expect(redAfterMs).toBeGreaterThan(SCHEDULER_MISSING_GRACE_MS);
      // Within one look of the grace period (10 s) and a margin for a busy machine.
      expect(redAfterMs).toBeLessThan(SCHEDULER_MISSING_GRACE_MS + 20_000);
      expect(red!.body.checks).toMatchObject({
        redis: { ok: true },
        postgres: { ok: true },
        schedulers: { ok: false, error: expect.stringMatching(/^job scheduler missing: scheduling-sweep for \d+ s/) },
      });
      expect(await scheduled()).toEqual([]);
      console.log(`readiness red ${redAfterMs} ms after the schedulers were lost for good`);
    } finally {
      await redis.config('SET', 'min-replicas-to-write', '0');
    }
    const writableAt = Date.now();
    while (Date.now() - writableAt < MINUTE && (await readiness()).status !== 200) await sleep(500);
    expect((await readiness()).status).toBe(200);
    expect(await scheduled()).toEqual(allSweeps);
  });

  it('stops cleanly', async () => {
    role.child.kill('SIGTERM');
    expect(await role.exited).toBe(0);
  });
});
