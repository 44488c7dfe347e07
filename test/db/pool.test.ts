/**
 * The Temporal worker's PostgreSQL pool on the real server: sized to the activity slots that use it,
 * and an activity that finds every connection taken fails at once with a retryable, named error
 * (PostgresPoolExhausted) instead of queuing past its start-to-close and running later as a zombie.
 */
import { ApplicationFailure, ensureApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { PoolClient } from 'pg';
import { ACCOUNT_FAILURES } from '../../src/contracts/failures';
import { PostgresPoolExhausted } from '../../src/db/pool';
import { createServiceActivities } from '../../src/workers/temporal-worker';
import { POOL_HEADROOM } from '../../src/workers/worker-sizing';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';

// A small budget so the test holds few connections; the production connection timeout (5 s) is kept.
const ACTIVITY_SLOTS = 4;
let t: IsolatedEnvironment;
let service: ReturnType<typeof createServiceActivities>;

beforeAll(async () => {
  t = await isolatedEnvironment({ TEMPORAL_WORKER_ACTIVITY_SLOTS: String(ACTIVITY_SLOTS) });
  service = createServiceActivities(t.config);
});

afterAll(async () => {
  await service?.close();
  await t?.cleanup();
});

/** What the worker reports to Temporal for an activity that threw `error`. */
async function failureOf(run: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await run();
  } catch (error) {
    return ensureApplicationFailure(error);
  }
  throw new Error('expected the activity to fail');
}

const reconcile = (accountId: string) => () =>
  new MockActivityEnvironment().run(service.activities.reconcileOrders, { accountId, runKey: 'pool-test' });

describe('the worker’s PostgreSQL pool', () => {
  it('has one connection per activity slot that uses PostgreSQL, plus headroom', () => {
    // Every family's activities use PostgreSQL; the base queue's smoke check (1 slot) does not.
    expect(service.pool.options.max).toBe(ACTIVITY_SLOTS + POOL_HEADROOM);
  });

  it('fails an activity retryably when every connection is taken, and serves it once one is free', async () => {
    const held: PoolClient[] = [];
    try {
      for (let i = 0; i < ACTIVITY_SLOTS + POOL_HEADROOM; i++) held.push(await service.pool.connect());
      const starved = await failureOf(reconcile('no-such-account'));
      expect(starved).toMatchObject({ type: PostgresPoolExhausted.name, nonRetryable: false });
      expect(starved.message).toMatch(/no PostgreSQL connection within 5000 ms/);
    } finally {
      held.forEach((client) => client.release());
    }
    // With connections free the same call reaches the database: the account is unknown there.
    const served = await failureOf(reconcile('no-such-account'));
    expect(served.type).not.toBe(PostgresPoolExhausted.name);
    expect(Object.values(ACCOUNT_FAILURES)).toContain(served.type);
  });
});
