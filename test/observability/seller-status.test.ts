/**
 * The seller status reader and `npm run seller -- status` against the real stack: PostgreSQL rows,
 * a real workflow stuck on an activity the simulator fails, Redis rate-limit buckets. Expectations
 * come from what test/support/stuck-seller.ts seeded. The reader touches no SQS queue, so there is
 * no SQS server to vary.
 */
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db/pool';
import {
  InvalidSellerIdError,
  readSellerStatus,
  UnknownSellerError,
  type SellerStatus,
  type SellerStatusSources,
} from '../../src/observability/seller-status';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { createRedisConnection } from '../../src/platform/redis';
import { createLazyTemporalClient } from '../../src/platform/temporal-client';
import { freePort } from '../../src/platform/free-ports';
import { runEntryPoint } from '../support/run-command';
import { seedStuckSeller, untilStuck, type StuckSeller } from '../support/stuck-seller';
import { WorkflowBench } from '../support/workflow-bench';

jest.setTimeout(120_000);

/** Each server at a port where nothing listens: a server that is down. */
const DOWN = { DATABASE_URL: '', TEMPORAL_ADDRESS: '', REDIS_URL: '' };

let bench: WorkflowBench;
let seeded: StuckSeller;
const opened: (() => Promise<void>)[] = [];

/** The reader's sources from an environment, as the command and the admin role build them. */
function sourcesFrom(env: NodeJS.ProcessEnv): SellerStatusSources {
  const config = loadConfig(env);
  const pool = createPool(config, { max: 4 });
  const redis = createRedisConnection(config, { log: SILENT_LOGGER });
  const temporal = createLazyTemporalClient(config, { retryCalls: false });
  opened.push(async () => {
    redis.disconnect();
    await temporal.connection.close();
    await pool.end();
  });
  return { pool, temporal, redis, redisKeyPrefix: config.redis.keyPrefix, deadlineMs: 10_000 };
}

beforeAll(async () => {
  const port = await freePort(); // nothing listens there: every server is down
  Object.assign(DOWN, {
    DATABASE_URL: `postgres://seller@127.0.0.1:${port}/seller`,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    REDIS_URL: `redis://127.0.0.1:${port}`,
  });
  bench = await WorkflowBench.create();
  seeded = await seedStuckSeller(bench);
  await untilStuck(bench, seeded);
});

afterAll(async () => {
  await Promise.all(opened.map((close) => close()));
  await bench?.sim.clearFaults(seeded?.stuck.accountId ?? '').catch(() => undefined);
  await bench?.close();
});

/** What the seeded rows say this seller's status is, in the reader's terms. */
function expectSeededRows(status: SellerStatus): void {
  const { expected, sellerId, reauth } = seeded;
  expect(status.seller?.id).toBe(sellerId);
  expect(status.accounts.ok && status.accounts.value.map((a) => a.id)).toEqual(expected.accountIds);
  const accounts = status.accounts.ok ? status.accounts.value : [];
  expect(accounts.filter((a) => a.needsReauth).map((a) => a.id)).toEqual([reauth.accountId]);
  expect(accounts.filter((a) => a.token?.expired).map((a) => a.id)).toEqual([reauth.accountId]);
  expect(
    status.deadLetters.ok &&
      status.deadLetters.value
        .map(({ sourceMessageId, disposition, accountId, reason }) => ({
          sourceMessageId,
          disposition,
          accountId,
          reason,
        }))
        .sort((a, b) => a.sourceMessageId.localeCompare(b.sourceMessageId)),
  ).toEqual([...expected.deadLetters].sort((a, b) => a.sourceMessageId.localeCompare(b.sourceMessageId)));
  expect(status.flaggedClaims.ok && status.flaggedClaims.value.map((c) => c.idempotencyKey)).toEqual(
    expected.flaggedClaimKeys,
  );
  expect(status.sagas.ok && status.sagas.value.map((s) => s.workflowId)).toEqual(expected.sagaWorkflowIds);
}

function expectStuckWorkflow(status: SellerStatus): void {
  expect(status.workflows.ok).toBe(true);
  const workflows = status.workflows.ok ? status.workflows.value : [];
  expect(workflows.map((w) => [w.workflowId, w.accountId, w.workflowType])).toEqual([
    [seeded.expected.workflowId, seeded.stuck.accountId, 'accountSyncWorkflow'],
  ]);
  const [pending] = workflows[0]!.pendingActivities;
  expect(pending?.activityType).toBe('syncOrders');
  // untilStuck waited for the second attempt: the first one failed on the 429, the next is an hour away.
  expect(pending!.attempt).toBe(2);
  expect(pending!.lastFailure).toMatch(/HTTP 429/);
  expect(pending!.nextAttemptAt!.getTime()).toBeGreaterThan(status.readAt.getTime());
}

function expectCooldown(status: SellerStatus): void {
  const cooldowns = status.cooldowns.ok ? status.cooldowns.value : [];
  const { accountId, marketplace, operation, used, points } = seeded.expected.cooldown;
  expect(
    cooldowns.filter((c) => c.accountId === accountId).map((c) => [c.marketplace, c.operation, c.used, c.points]),
  ).toEqual([[marketplace, operation, used, points]]);
  // Only the accounts that made calls can have used a bucket up.
  expect(cooldowns.every((c) => [accountId, seeded.stuck.accountId].includes(c.accountId))).toBe(true);
  expect(cooldowns[0]!.until.getTime()).toBeGreaterThan(status.readAt.getTime());
}

describe('the seller status reader', () => {
  it('by seller id: accounts and tokens, the stuck workflow, dead letters, claims, sagas and cooldowns', async () => {
    const status = await readSellerStatus(sourcesFrom(bench.t.env), seeded.sellerId);
    expect(status.matched).toBe('seller');
    expectSeededRows(status);
    expectStuckWorkflow(status);
    expectCooldown(status);
  });

  it('by an account id: says so, and answers for that account’s own seller', async () => {
    const byAccount = await readSellerStatus(sourcesFrom(bench.t.env), seeded.reauth.accountId);
    expect([byAccount.matched, byAccount.asked]).toEqual(['account', seeded.reauth.accountId]);
    expectSeededRows(byAccount);

    const other = await readSellerStatus(sourcesFrom(bench.t.env), seeded.other.accountId);
    expect([other.matched, other.seller?.id]).toEqual(['account', seeded.other.sellerId]);
    expect(other.accounts.ok && other.accounts.value.map((a) => a.id)).toEqual([seeded.other.accountId]);
    expect(other.flaggedClaims.ok && other.flaggedClaims.value.map((c) => c.idempotencyKey)).toEqual([
      `claim-other-${seeded.sellerId}`,
    ]);
  });

  it('refuses an unknown id, and a hostile one before it reaches any server', async () => {
    const sources = sourcesFrom(bench.t.env);
    await expect(readSellerStatus(sources, 'no_such_seller')).rejects.toThrow(UnknownSellerError);
    const hostile = [
      `x' OR AccountId != 'y`,
      `a"; DROP TABLE sellers; --`,
      '<script>alert(1)</script>',
      '.*',
      'a'.repeat(65),
      'x'.repeat(100_000),
      '',
      'seller id',
    ];
    for (const id of hostile) {
      await expect(readSellerStatus(sources, id)).rejects.toThrow(InvalidSellerIdError);
    }
  });

  it('shows each source that is down as unavailable and the others as usual', async () => {
    const noTemporal = await readSellerStatus(
      sourcesFrom({ ...bench.t.env, TEMPORAL_ADDRESS: DOWN.TEMPORAL_ADDRESS }),
      seeded.sellerId,
    );
    expect(noTemporal.workflows).toEqual({ ok: false, unavailable: expect.stringMatching(/^Temporal: /) });
    expectSeededRows(noTemporal);
    expectCooldown(noTemporal);

    const noRedis = await readSellerStatus(sourcesFrom({ ...bench.t.env, REDIS_URL: DOWN.REDIS_URL }), seeded.sellerId);
    expect(noRedis.cooldowns).toEqual({ ok: false, unavailable: expect.stringMatching(/^Redis: /) });
    expectSeededRows(noRedis);
    expectStuckWorkflow(noRedis);

    // Without PostgreSQL the id cannot be resolved: it is read as an account id in Temporal and Redis.
    const noPostgres = await readSellerStatus(
      sourcesFrom({ ...bench.t.env, DATABASE_URL: DOWN.DATABASE_URL }),
      seeded.stuck.accountId,
    );
    expect([noPostgres.matched, noPostgres.seller]).toEqual(['unresolved', null]);
    for (const section of [noPostgres.accounts, noPostgres.deadLetters, noPostgres.flaggedClaims, noPostgres.sagas]) {
      expect(section).toEqual({ ok: false, unavailable: expect.stringMatching(/^PostgreSQL: /) });
    }
    expectStuckWorkflow(noPostgres);
  });
});

describe('npm run seller -- status', () => {
  const seller = (...args: string[]) => runEntryPoint('src/commands/seller.ts', { args, env: bench.t.env });

  it('--json answers what the reader answers for the seeded seller', async () => {
    const result = await seller('status', seeded.sellerId, '--json');
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    const revived = JSON.parse(result.stdout, (key, value) =>
      ['until', 'readAt', 'expiresAt', 'nextAttemptAt'].includes(key) && typeof value === 'string'
        ? new Date(value)
        : value,
    ) as SellerStatus;
    expect(parsed.matched).toBe('seller');
    expectSeededRows(revived);
    expectStuckWorkflow(revived);
    expectCooldown(revived);
  });

  it('prints text naming what is stuck', async () => {
    const result = await seller('status', seeded.stuck.accountId);
    expect(result.code).toBe(0);
    const { expected } = seeded;
    expect(result.stdout).toContain(`seller ${seeded.sellerId} (${'<img'}`);
    expect(result.stdout).toContain(`matched by account id ${seeded.stuck.accountId}`);
    expect(result.stdout).toMatch(
      new RegExp(`${expected.workflowId}.*\\n +waits on syncOrders \\(scheduled\\), attempt 2`),
    );
    expect(result.stdout).toContain('PARKED');
    expect(result.stdout).toContain(expected.flaggedClaimKeys[0]);
    expect(result.stdout).toContain(expected.sagaWorkflowIds[0]);
    expect(result.stdout).toContain(`${seeded.cooling.accountId}  amazon orders: 20/20 used`);
    expect(result.stdout).toContain('(NEEDS RE-AUTHORISATION)');
  });

  it('exits 1 with one line for an unknown id, a hostile id and a wrong call', async () => {
    const unknown = await seller('status', 'no_such_seller');
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, 'no seller or account has the id no_such_seller']);
    const hostile = await seller('status', `x' OR 1=1 --`);
    expect([hostile.code, hostile.stderr.trim()]).toEqual([
      1,
      `"x' OR 1=1 --" is not a seller or account id: 1-64 letters, digits, _ or -`,
    ]);
    const wrong = await seller('stats', seeded.sellerId);
    expect([wrong.code, wrong.stderr.trim()]).toEqual([
      1,
      'usage: npm run seller -- status <seller or account id> [--json] | help',
    ]);
  });

  it('shows a server that is down as unavailable and exits 0 with the rest', async () => {
    const result = await runEntryPoint('src/commands/seller.ts', {
      args: ['status', seeded.sellerId],
      env: { ...bench.t.env, REDIS_URL: DOWN.REDIS_URL },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^rate-limit cooldowns: unavailable: Redis: /m);
    expect(result.stdout).toContain(seeded.expected.workflowId);
  });
});
