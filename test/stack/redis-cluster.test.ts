/**
 * A real Redis Cluster (three masters, cluster mode, each with a port and a cluster bus port of its
 * own from the kernel) reached through REDIS_CLUSTER_NODES, with the `{hash-tag}` key prefix
 * the README asks for: the sweep role upserts and keeps its Job Schedulers there, and the marketplace
 * rate limiter counts its calls there.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '../../src/config';
import { waitBudget } from '../../src/marketplaces/call-wait';
import { RATE_LIMITS } from '../../src/marketplaces/limits';
import { MarketplaceRateLimiter } from '../../src/marketplaces/rate-limiter';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { createRedisConnection, type RedisConnection } from '../../src/platform/redis';
import { SWEEPS } from '../../src/sweeps/registry';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { freePorts } from '../../src/platform/free-ports';
import { redisProcesses } from '../support/redis-processes';
import { loggedPort, startRole, type RoleProcess } from '../support/role-process';

jest.setTimeout(120_000);

const PREFIX = '{sweeps}';

async function waitForClusterOk(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  const node = new Redis(port, '127.0.0.1');
  try {
    while (!/^cluster_state:ok/m.test((await node.call('CLUSTER', 'INFO')) as string)) {
      if (Date.now() > deadline) throw new Error(`cluster not ok on ${port}`);
      await sleep(200);
    }
  } finally {
    node.disconnect();
  }
}

describe('the sweep role and the rate limiter on Redis Cluster', () => {
  const redis = redisProcesses('redis-cluster-test');
  let t: IsolatedEnvironment;
  let role: RoleProcess;
  let cluster: RedisConnection;

  beforeAll(async () => {
    const ports = await freePorts(6);
    const nodes = ports.slice(0, 3);
    nodes.forEach((port, index) => {
      redis.server(port, ['--cluster-enabled', 'yes', '--cluster-port', String(ports[3 + index])]);
    });
    await Promise.all(nodes.map((port) => redis.ready(port)));
    execFileSync('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await Promise.all(nodes.map(waitForClusterOk));
    t = await isolatedEnvironment({
      // Only its credentials are read with REDIS_CLUSTER_NODES: this address is never dialled.
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_CLUSTER_NODES: `127.0.0.1:${nodes[0]}`,
      REDIS_KEY_PREFIX: PREFIX,
    });
    cluster = createRedisConnection(loadConfig(t.env), { log: SILENT_LOGGER });
  });
  afterAll(async () => {
    if (role && role.child.exitCode === null) {
      role.child.kill('SIGTERM');
      await role.exited;
    }
    cluster?.disconnect();
    await t?.cleanup();
    await redis.killAll();
  });

  it('connects as a Cluster client from the same factory', () => {
    expect(cluster).toBeInstanceOf(Cluster);
  });

  it('runs the sweep role: every Job Scheduler upserted, ready', async () => {
    role = startRole('sweep-worker', t.env);
    const health = `http://127.0.0.1:${await loggedPort(role, 'health server listening')}/readyz`;
    await role.waitForOutput('schedulers upserted');
    expect((await fetch(health)).status).toBe(200);
    for (const sweep of SWEEPS) {
      const queue = new Queue(sweep.name, { connection: cluster, prefix: PREFIX });
      expect(await queue.getJobScheduler(sweep.name)).toMatchObject({ pattern: sweep.pattern });
      expect(await queue.getDelayedCount()).toBe(1);
      await queue.close();
    }
  });

  it('counts the rate limiter calls in the Cluster', async () => {
    const limiter = new MarketplaceRateLimiter({ redis: cluster, keyPrefix: PREFIX });
    const accountId = randomUUID();
    const { points } = RATE_LIMITS.amazon.orders.perAccount;
    for (let call = 0; call < points; call += 1) {
      await limiter.acquire({ marketplace: 'amazon', operation: 'orders', accountId }, waitBudget(30_000));
    }
    expect(await cluster.get(`${PREFIX}:rate:amazon:orders:account:${accountId}`)).toBe(String(points));
    expect(await limiter.cooldowns('amazon', accountId)).toMatchObject([{ operation: 'orders', used: points }]);
  });
});
