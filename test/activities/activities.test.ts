/**
 * Activities as units, in Temporal's MockActivityEnvironment, against the real PostgreSQL, Redis
 * and the marketplace simulator: how marketplace answers become retryable or non-retryable
 * failures, heartbeats of long downloads, idempotent reservations, and the shared rate limits.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Activities } from '../../src/activities';
import { ACCOUNT_FAILURES, MARKETPLACE_FAILURES, SELLER_FAILURES } from '../../src/contracts/failures';
import type { IsolatedEnvironment } from '../support/isolated-env';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';
import { loadConfig } from '../../src/config';
import { createServiceActivities } from '../../src/workers/temporal-worker';
import { drainQueue } from '../support/sqs';
import type { SellerSeeder, Seller } from '../../scripts/harness/sellers';

let env: ActivityEnvironment;
let t: IsolatedEnvironment;
let activities: Activities;
let sellers: SellerSeeder;

beforeAll(async () => {
  env = await activityEnvironment();
  ({ t, activities, sellers } = env);
});

afterAll(() => env?.close());

/**
 * An attempt as the `marketplace` proxy schedules it (src/workflows/activity-options.ts): it starts
 * now, with that start-to-close and heartbeat timeout, so its calls have the production wait budget
 * (the mock's default attempt began in 1970 and has none).
 */
const marketplaceAttempt = () =>
  new MockActivityEnvironment({
    startToCloseTimeoutMs: 5 * 60_000,
    heartbeatTimeoutMs: 60_000,
    currentAttemptScheduledTimestampMs: Date.now(),
  });

/** Runs an activity in a mock activity context, keeping its result type. */
function runActivity<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  args: A,
  env = marketplaceAttempt(),
): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

/** Returns what an activity threw, or fails the test if it did not. */
async function failureOf(run: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

const read = (seller: Seller) => () => runActivity(activities.readListings, [{ ...seller, skus: ['A-1'] }]);

describe('marketplace answers become failures Temporal can act on', () => {
  let seller: Seller;
  beforeEach(async () => {
    // Each seller its own SKU (SKUs belong to one seller), listed as A-1 at the marketplace.
    seller = await sellers.seedSeller({
      marketplace: 'flipkart',
      listings: [{ skuId: `A-1-${randomUUID().slice(0, 8)}`, externalId: 'A-1', quantity: 1, pricePaise: 100 }],
    });
  });

  it.each([
    [{ kind: 'error', status: 503 }, MARKETPLACE_FAILURES.unavailable, false],
    [{ kind: 'malformed' }, MARKETPLACE_FAILURES.malformed, false],
    [{ kind: 'malformed', body: '<html>oops</html>', contentType: 'text/html' }, MARKETPLACE_FAILURES.malformed, false],
    [{ kind: 'lose-response' }, MARKETPLACE_FAILURES.unavailable, false],
    [{ kind: 'fail-hard' }, MARKETPLACE_FAILURES.validation, true],
    [{ kind: 'revoked' }, MARKETPLACE_FAILURES.authRevoked, true],
  ] as const)('%j → %s (non-retryable: %s)', async (fault, type, nonRetryable) => {
    await sellers.sim.addFault({ ...fault, sellerId: seller.accountId, operation: 'listings-read' });
    const failure = await failureOf(read(seller));
    expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type, nonRetryable });
    expect(failure.message).toContain(`flipkart listings-read for ${seller.accountId}`);
    if (fault.kind === 'lose-response') expect(failure.message).toMatch(/network error: \S+/);
  });

  it('waits out a 429 Retry-After inside the attempt and calls again, heartbeating', async () => {
    await sellers.sim.addFault({
      kind: 'rate-limit',
      retryAfterSeconds: 1,
      times: 3,
      sellerId: seller.accountId,
      operation: 'listings-update',
    });
    const env = marketplaceAttempt();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const change = { ...seller, changes: [{ sku: 'A-1', quantity: 4 }], idempotencyKey: `wait:${seller.accountId}` };
    await expect(runActivity(activities.updateListings, [change], env)).resolves.toMatchObject({ applied: ['A-1'] });
    const updates = await sellers.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
    expect(updates.map((entry) => entry.status)).toEqual([429, 429, 429, 200]);
    expect(beats.length).toBeGreaterThanOrEqual(3);
  });

  it('passes a 429 Retry-After longer than the wait budget on as the next retry delay, at once', async () => {
    await sellers.sim.addFault({ kind: 'rate-limit', retryAfterSeconds: 600, sellerId: seller.accountId });
    const failure = await failureOf(read(seller));
    expect(failure.type).toBe(MARKETPLACE_FAILURES.rateLimited);
    expect(failure.nextRetryDelay).toBe(600_000);
  });

  it('marks the account needs_reauth when its authorisation is revoked', async () => {
    await sellers.sim.addFault({ kind: 'revoked', sellerId: seller.accountId });
    await failureOf(read(seller));
    const { rows } = await t.deps.pool.query('SELECT status FROM seller_accounts WHERE id = $1', [seller.accountId]);
    expect(rows[0].status).toBe('needs_reauth');
  });

  it('then refuses, for good, further work for the account until it is re-authorised, reaching no marketplace', async () => {
    await sellers.sim.addFault({ kind: 'revoked', sellerId: seller.accountId, times: 1 });
    await failureOf(read(seller));
    const before = await sellers.sim.ledger({ sellerId: seller.accountId });

    const refusal = await failureOf(read(seller));

    expect({ type: refusal.type, nonRetryable: refusal.nonRetryable }).toEqual({
      type: ACCOUNT_FAILURES.needsReauth,
      nonRetryable: true,
    });
    expect(await sellers.sim.ledger({ sellerId: seller.accountId })).toEqual(before);
  });

  it('drops an access token the marketplace calls expired, and the retry obtains a new one', async () => {
    await read(seller)();
    await sellers.sim.addFault({ kind: 'token-expired', sellerId: seller.accountId, times: 1 });
    expect((await failureOf(read(seller))).type).toBe(MARKETPLACE_FAILURES.tokenExpired);
    await expect(read(seller)()).resolves.toHaveLength(1);
    expect(await sellers.sim.ledger({ sellerId: seller.accountId, operation: 'token' })).toHaveLength(2);
  });

  it('AJIO: an expired token asks once for a refresh of that token, in its token group, and retries after 30 s', async () => {
    const expiresAt = new Date(Date.now() - 60_000);
    const ajio = await sellers.seedSeller({ marketplace: 'ajio', tokenExpiresAt: expiresAt });
    const sync = () =>
      runActivity(activities.syncOrders, [{ ...ajio, dueAt: new Date().toISOString() }], new MockActivityEnvironment());

    // Two activities meet the same expired token: both ask, under the same key.
    const failures = [await failureOf(sync), await failureOf(sync)];

    for (const failure of failures) {
      expect(failure).toMatchObject({ type: MARKETPLACE_FAILURES.tokenExpired, nextRetryDelay: 30_000 });
      expect(failure.nonRetryable).toBeFalsy();
    }
    const key = `ajio.token-refresh:${ajio.accountId}:expired:${expiresAt.getTime()}`;
    expect(await drainQueue(t.deps.sqs, t.queueUrl('account-sync'))).toEqual([
      {
        envelope: expect.objectContaining({
          type: 'ajio.token-refresh',
          accountId: ajio.accountId,
          idempotencyKey: key,
        }),
        groupId: `token:${ajio.accountId}`,
        deduplicationId: key,
      },
    ]);
    expect(await sellers.sim.ledger({ sellerId: ajio.accountId, operation: 'token' })).toEqual([]);
  });

  it('reports per-SKU results of a batch answered with HTTP 200', async () => {
    await sellers.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, sku: 'A-1' });
    const outcome = await runActivity(activities.updateListings, [
      {
        ...seller,
        changes: [
          { sku: 'A-1', quantity: 9 },
          { sku: 'NOT-LISTED', quantity: 9 },
        ],
        idempotencyKey: `unit:${randomUUID()}`,
      },
    ]);
    expect(outcome.applied).toEqual([]);
    expect(outcome.failed.map((f) => f.sku)).toEqual(['A-1', 'NOT-LISTED']);
  });
});

describe('document download', () => {
  it('heartbeats as bytes arrive and stores the file under its hash', async () => {
    const content = Buffer.alloc(600 * 1024, 3);
    const seller = await sellers.seedSeller({
      marketplace: 'meesho',
      documents: [
        {
          documentId: 'doc-1',
          kind: 'invoice',
          createdAt: new Date().toISOString(),
          content: content.toString('base64'),
        },
      ],
    });
    const env = new MockActivityEnvironment();
    const beats: { bytes: number }[] = [];
    env.on('heartbeat', (details: { bytes: number }) => beats.push(details));
    await t.deps.pool.query(`INSERT INTO documents (account_id, external_id, kind) VALUES ($1, 'doc-1', 'invoice')`, [
      seller.accountId,
    ]);

    const result = await runActivity(activities.downloadDocument, [{ ...seller, documentId: 'doc-1' }], env);

    expect(result.bytes).toBe(content.length);
    expect(beats.length).toBeGreaterThan(1);
    expect(beats.at(-1)!.bytes).toBe(content.length);
  });

  it.each(['../escape', 'a/b', '..', '.'])('refuses the document id %j as a file name', async (documentId) => {
    const failure = await failureOf(() =>
      runActivity(activities.downloadDocument, [{ accountId: 'whoever', marketplace: 'ajio', documentId }]),
    );
    expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({
      type: 'InvalidDocumentId',
      nonRetryable: true,
    });
  });
});

describe('stock reservations', () => {
  it('reserve, release and commit are idempotent by key: each a movement applied once', async () => {
    const seller = await sellers.seedSeller({ marketplace: 'ajio' });
    await sellers.seedSku('RES-1', 10, seller.sellerId);
    const reservation = {
      key: `res:${randomUUID()}`,
      sellerId: seller.sellerId,
      accountId: seller.accountId,
      skuId: 'RES-1',
      quantity: 4,
    };
    const stock = async () =>
      (await t.deps.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', ['RES-1'])).rows[0];

    expect(await runActivity(activities.reserveStock, [reservation])).toEqual({ available: 6 });
    expect(await runActivity(activities.reserveStock, [reservation])).toEqual({ available: 6 });
    expect(await stock()).toEqual({ stock: 10, reserved: 4 });
    expect(await runActivity(activities.commitReservation, [{ key: reservation.key }])).toBe(true);
    expect(await runActivity(activities.commitReservation, [{ key: reservation.key }])).toBe(false);
    expect(await runActivity(activities.releaseReservation, [{ key: reservation.key }])).toBe(false);
    expect(await stock()).toEqual({ stock: 6, reserved: 0 });
    const moves = await t.deps.pool.query(
      'SELECT kind, quantity, movement_key FROM stock_movements WHERE sku_id = $1 ORDER BY id',
      ['RES-1'],
    );
    expect(moves.rows).toEqual([
      { kind: 'reserve', quantity: 4, movement_key: `reserve:${reservation.key}` },
      { kind: 'commit', quantity: 4, movement_key: `commit:${reservation.key}` },
    ]);
  });

  it('refuses for good a SKU of another seller, and one that does not exist, naming both', async () => {
    const seller = await sellers.seedSeller({ marketplace: 'meesho' });
    const other = await sellers.seedSeller({ marketplace: 'meesho' });
    await sellers.seedSku('RES-THEIRS', 10, other.sellerId);
    const reserve = (skuId: string) => () =>
      runActivity(activities.reserveStock, [
        { key: `res:${randomUUID()}`, sellerId: seller.sellerId, accountId: seller.accountId, skuId, quantity: 1 },
      ]);

    const foreign = await failureOf(reserve('RES-THEIRS'));
    expect(foreign).toMatchObject({
      type: SELLER_FAILURES.foreignSku,
      nonRetryable: true,
      message: `SKU "RES-THEIRS" is not seller ${seller.sellerId}'s`,
    });
    const unknown = await failureOf(reserve('RES-NOWHERE'));
    expect(unknown).toMatchObject({ type: SELLER_FAILURES.unknownSku, nonRetryable: true });
    const { rows } = await t.deps.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', ['RES-THEIRS']);
    expect(rows[0]).toEqual({ stock: 10, reserved: 0 });
  });
});

describe('the versioned push', () => {
  it('refuses for good an account or a SKU that is not the seller’s, naming both, and reaches no marketplace', async () => {
    const seller = await sellers.seedSeller({
      marketplace: 'meesho',
      listings: [{ skuId: `VP-${randomUUID().slice(0, 6)}`, quantity: 5, pricePaise: 100 }],
    });
    const other = await sellers.seedSeller({
      marketplace: 'meesho',
      listings: [{ skuId: `VP-${randomUUID().slice(0, 6)}`, quantity: 5, pricePaise: 100 }],
    });
    const [theirSku] = (
      await t.deps.pool.query<{ sku_id: string }>('SELECT sku_id FROM listings WHERE account_id = $1', [
        other.accountId,
      ])
    ).rows.map((row) => row.sku_id);

    const foreignAccount = await failureOf(() =>
      runActivity(activities.pushStock, [{ sellerId: seller.sellerId, accountId: other.accountId, skuIds: [] }]),
    );
    expect(foreignAccount).toMatchObject({
      type: SELLER_FAILURES.foreignAccount,
      nonRetryable: true,
      message: `account ${other.accountId} is not seller ${seller.sellerId}'s (it is seller ${other.sellerId}'s)`,
    });
    const foreignSku = await failureOf(() =>
      runActivity(activities.pushStock, [
        { sellerId: seller.sellerId, accountId: seller.accountId, skuIds: [theirSku!] },
      ]),
    );
    expect(foreignSku).toMatchObject({
      type: SELLER_FAILURES.foreignSku,
      nonRetryable: true,
      message: `SKU ${JSON.stringify(theirSku)} is not seller ${seller.sellerId}'s`,
    });
    for (const account of [seller, other])
      expect(await sellers.sim.ledger({ sellerId: account.accountId })).toEqual([]);
  });

  it('gives up waiting for another push’s locks after the hold, retryably', async () => {
    // The production hold is MARKETPLACE_TIMEOUT_MS + 10 s; a 1 s call timeout makes it 11 s, the same
    // formula and the same lock_timeout path, without waiting the production 25 s.
    const config = loadConfig({ ...t.env, MARKETPLACE_TIMEOUT_MS: '1000' });
    const quick = createServiceActivities(config);
    const seller = await sellers.seedSeller({
      marketplace: 'meesho',
      listings: [{ skuId: `VP-${randomUUID().slice(0, 6)}`, quantity: 5, pricePaise: 100 }],
    });
    const { rows } = await t.deps.pool.query<{ sku_id: string }>('SELECT sku_id FROM listings WHERE account_id = $1', [
      seller.accountId,
    ]);
    const holder = await t.deps.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM listings WHERE account_id = $1 FOR UPDATE', [seller.accountId]);
      const busy = await failureOf(() =>
        runActivity(quick.activities.pushStock, [
          { sellerId: seller.sellerId, accountId: seller.accountId, skuIds: [rows[0]!.sku_id] },
        ]),
      );
      expect(busy).toMatchObject({ type: 'PushLockBusy', nonRetryable: false });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await quick.close();
    }
    expect(await sellers.sim.ledger({ sellerId: seller.accountId })).toEqual([]);
  }, 30_000);
});

it('keeps one account within its per-account rate limit across calls (shared through Redis)', async () => {
  const seller = await sellers.seedSeller({
    marketplace: 'meesho',
    listings: [{ skuId: 'RL-1', quantity: 1, pricePaise: 1 }],
  });
  const started = Date.now();
  // listings-update allows 5 a second per account: 12 calls need at least two more windows.
  for (let i = 0; i < 12; i += 1) {
    await runActivity(activities.updateListings, [
      {
        ...seller,
        changes: [{ sku: 'RL-1', quantity: i + 2 }],
        idempotencyKey: `rate:${seller.accountId}:${i}`,
      },
    ]);
  }
  expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  const calls = await sellers.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
  const times = calls.map((entry) => Date.parse(entry.at));
  expect(times).toHaveLength(12);
  // The first window opens with the first call: only five reach the marketplace within it.
  expect(times.filter((time) => time < times[0]! + 950)).toHaveLength(5);
});
