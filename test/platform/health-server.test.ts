/**
 * /livez and /readyz: the server on its own with checks of the test's making, the shared checks
 * against the real servers, and the roles as their own processes answering against the real stack.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { freePort } from '../../src/platform/free-ports';
import { startHealthServer, type HealthServer, type ReadinessChecks } from '../../src/platform/health-server';
import { SILENT_LOGGER as silent } from '../../src/platform/logger';
import { postgresReady, redisReady, sqsReady } from '../../src/platform/probes';
import { queueName } from '../../src/queues/catalogue';
import { createRedisConnection, type RedisConnection } from '../../src/platform/redis';
import { SWEEPS } from '../../src/sweeps/registry';
import { findRole } from '../../src/workers/roles';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { loggedPort, startRole } from '../support/role-process';

jest.setTimeout(120_000);

async function get(port: number, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('the health server', () => {
  const servers: HealthServer[] = [];
  const start = async (checks: ReadinessChecks, checkTimeoutMs?: number) => {
    const server = await startHealthServer({ port: 0, checks, log: silent, checkTimeoutMs });
    servers.push(server);
    return server;
  };
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  it('answers /livez 200 while the process is up, and 404 elsewhere', async () => {
    const { port } = await start({});
    expect(await get(port, '/livez')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get(port, '/')).status).toBe(404);
    expect((await get(port, '/healthz')).status).toBe(404);
  });

  it('answers /readyz 200 when every check passes', async () => {
    const { port } = await start({ first: async () => undefined, second: () => Promise.resolve(true) });
    expect(await get(port, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', ready: true, checks: { first: { ok: true }, second: { ok: true } } },
    });
  });

  it('answers /readyz 503 naming each failing check and why, a hung one after its timeout', async () => {
    const { port } = await start(
      {
        fine: async () => undefined,
        refused: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:1');
        },
        hung: () => new Promise(() => undefined),
      },
      300,
    );
    const started = Date.now();
    expect(await get(port, '/readyz')).toEqual({
      status: 503,
      body: {
        status: 'unready',
        ready: false,
        checks: {
          fine: { ok: true },
          refused: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:1' },
          hung: { ok: false, error: 'no answer within 300 ms' },
        },
      },
    });
    // In parallel: the whole answer takes one timeout, not one per check.
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('answers /readyz 503 `stopping` once the role begins shutting down, /livez still 200', async () => {
    const server = await start({ fine: async () => undefined });
    expect((await get(server.port, '/readyz')).status).toBe(200);
    server.markStopping();
    expect(await get(server.port, '/readyz')).toEqual({ status: 503, body: { status: 'stopping' } });
    expect((await get(server.port, '/livez')).status).toBe(200);
  });
});

describe('the shared readiness checks, against the real servers', () => {
  let t: IsolatedEnvironment;
  let redis: RedisConnection;
  beforeAll(async () => {
    t = await isolatedEnvironment();
    redis = createRedisConnection(t.config);
    await redis.ping(); // connected: a connection still connecting is not ready
  });
  afterAll(async () => {
    redis.disconnect();
    await t.cleanup();
  });

  it('pass when Redis, PostgreSQL and SQS answer', async () => {
    const server = await startHealthServer({
      port: 0,
      log: silent,
      checks: {
        redis: redisReady(redis),
        postgres: postgresReady(t.deps.pool),
        sqs: sqsReady(t.deps.sqs, queueName(t.queues[0]!.queue, t.config.queues.prefix)),
      },
    });
    try {
      expect(await get(server.port, '/readyz')).toMatchObject({ status: 200, body: { ready: true } });
    } finally {
      await server.close();
    }
  });

  it('fail at once naming the Redis that does not answer, and the queue that does not exist', async () => {
    const closedPort = await freePort();
    const unreachable = new Redis(`redis://127.0.0.1:${closedPort}`, { maxRetriesPerRequest: 3 });
    try {
      const server = await startHealthServer({
        port: 0,
        log: silent,
        checks: { redis: redisReady(unreachable), sqs: sqsReady(t.deps.sqs, `${t.config.queues.prefix}no-such-queue`) },
      });
      const started = Date.now();
      const { status, body } = await get(server.port, '/readyz');
      await server.close();
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(status).toBe(503);
      expect(body.checks.redis).toEqual({
        ok: false,
        error: expect.stringMatching(/^not connected \(connection (connecting|reconnecting)\)$/),
      });
      expect(body.checks.sqs).toEqual({ ok: false, error: expect.stringMatching(/queue/i) });
    } finally {
      unreachable.disconnect();
    }
  });
});

describe('the roles as their own processes', () => {
  // A database, queues and BullMQ key prefix of their own: nothing the roles do touches other tests.
  const prefix = `test-health-${randomUUID().slice(0, 8)}`;
  let t: IsolatedEnvironment;
  beforeAll(async () => {
    t = await isolatedEnvironment({ REDIS_KEY_PREFIX: prefix, TEMPORAL_TASK_QUEUE: prefix });
  });
  afterAll(async () => {
    const redis = createRedisConnection(t.config);
    for (const sweep of SWEEPS) {
      const queue = new Queue(sweep.name, { connection: redis, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await redis.quit();
    await t.cleanup();
  });

  it.each([
    { definition: findRole('sweep-worker'), checks: ['redis', 'postgres', 'schedulers'] },
    { definition: findRole('poller-worker'), checks: ['sqs', 'temporal', 'postgres'] },
  ])('$definition.entry answers /readyz 200 on a free port, then stops cleanly', async ({ definition, checks }) => {
    // Info: the bound port is on an info line.
    const role = startRole(definition.name, { ...t.env, LOG_LEVEL: 'info' });
    try {
      const port = await loggedPort(role, 'health server listening');
      expect(port).toBeGreaterThan(0);
      const { status, body } = await get(port, '/readyz');
      expect({ status, checks: Object.keys(body.checks).sort() }).toEqual({ status: 200, checks: [...checks].sort() });
      expect((await get(port, '/livez')).status).toBe(200);
    } finally {
      role.child.kill('SIGTERM');
    }
    expect(await role.exited).toBe(0);
    expect(role.output()).toContain(`${definition.name}: stopped`);
  });
});
