/**
 * The order sync's outbox, on both SQS servers: a page that moves a SKU's available count claims one
 * `inventory.publish` for that SKU in the page's own transaction, and the activity sends it after the
 * commit, on the inventory queue in the seller's FIFO group. When SQS refuses the send, the stock
 * has still moved and the claim waits; the scheduling sweep sends it once its lease (the production
 * lease; the tick's `now` is moved past it, as claim-recovery.test.ts does) has run out, exactly once.
 * When the worker dies at the outbox write, nothing of the page is kept, and the retry moves the
 * stock and claims its message together. Expectations come from the orders each test seeded.
 */
import { randomUUID } from 'node:crypto';
import type { Activities } from '../../src/activities';
import { loadConfig } from '../../src/config';
import { findSweep } from '../../src/sweeps/registry';
import { runSweep } from '../../src/sweeps/run-sweep';
import { createServiceActivities } from '../../src/workers/temporal-worker';
import type { SellerSeeder } from '../../scripts/harness/sellers';
import type { SimOrder } from '../../simulator/src/control';
import type { IsolatedEnvironment } from '../support/isolated-env';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';
import {
  expectedStock,
  expectedVersions,
  minutesAgo,
  outboxOf,
  runSync,
  stockOf,
  type ExpectedOrder,
} from '../support/order-stock';
import { failActions, type FailingProxy } from '../support/sqs-fault-proxy';
import { drainQueue, sqsServers, type ReceivedMessage } from '../support/sqs';

jest.setTimeout(120_000);

/** The production lease: nothing in this file overrides SWEEP_CLAIM_LEASE_SECONDS. */
const LEASE_MS = loadConfig({ ...process.env, SWEEP_CLAIM_LEASE_SECONDS: undefined }).sweeps.claimLeaseSeconds * 1_000;
const unique = () => randomUUID().slice(0, 8);

describe.each(sqsServers())('the order sync outbox on %s', (_server, serverEnv) => {
  let env: ActivityEnvironment;
  let t: IsolatedEnvironment;
  let sellers: SellerSeeder;
  let activities: Activities;
  let proxy: FailingProxy;
  /** The same activities, sending through a proxy that answers every SendMessageBatch with a 500. */
  let outage: Activities;
  let closeOutage: () => Promise<void>;

  beforeAll(async () => {
    env = await activityEnvironment({ ...serverEnv, SWEEP_CLAIM_LEASE_SECONDS: undefined });
    ({ t, activities, sellers } = env);
    proxy = await failActions(t.config.aws.sqsEndpoint!, ['SendMessageBatch']);
    ({ activities: outage, close: closeOutage } = createServiceActivities(
      loadConfig({ ...t.env, SQS_ENDPOINT: proxy.endpoint }),
    ));
  });
  afterAll(async () => {
    await closeOutage?.();
    await proxy?.close();
    await env?.close();
  });

  const published = async (): Promise<ReceivedMessage[]> => drainQueue(t.deps.sqs, t.queueUrl('inventory-deduct'));
  const tick = (now: Date) => runSweep(t.deps, findSweep('scheduling-sweep'), { trigger: 'schedule', now });

  /**
   * A seller with SKUs S1 and S2 (stock 40 each) on one account, and one page of orders: S1 is
   * reserved and one S1 order is delivered, S2 reserved; S3 is listed but only in an order that was
   * cancelled before any sync: its stock does not change, but the marketplace took the order's units
   * off its listing and put them back, over whatever we pushed meanwhile, so it is published too,
   * under a new version of its own (docs/inventory.md, "An order line's steps").
   */
  async function sellerWithOrders() {
    const sellerId = `seller_${unique()}`;
    const skus = ['S1', 'S2', 'S3'].map((name) => `${sellerId}-${name}`) as [string, string, string];
    for (const skuId of skus) await sellers.seedSku(skuId, 40, sellerId);
    const at = (minutes: number) => ({ orderedAt: minutesAgo(minutes), updatedAt: minutesAgo(minutes) });
    const orders: SimOrder[] = [
      { orderId: 'a', status: 'created', totalPaise: 1, ...at(9), lines: [{ sku: skus[0], quantity: 2 }] },
      { orderId: 'b', status: 'delivered', totalPaise: 1, ...at(8), lines: [{ sku: skus[0], quantity: 1 }] },
      { orderId: 'c', status: 'created', totalPaise: 1, ...at(7), lines: [{ sku: skus[1], quantity: 5 }] },
      { orderId: 'd', status: 'cancelled', totalPaise: 1, ...at(6), lines: [{ sku: skus[2], quantity: 3 }] },
    ];
    const seller = await sellers.seedSeller({
      marketplace: 'flipkart',
      sellerId,
      listings: skus.map((skuId) => ({ skuId, quantity: 40, pricePaise: 100 })),
      orders,
    });
    const paths: Record<string, ExpectedOrder['path']> = {
      a: 'open',
      b: 'shipped',
      c: 'open',
      d: 'first-seen-cancelled',
    };
    const expected: ExpectedOrder[] = orders.map((order) => ({
      accountId: seller.accountId,
      orderId: order.orderId,
      lines: order.lines.map((line) => ({ skuId: line.sku, quantity: line.quantity })),
      path: paths[order.orderId]!,
    }));
    const seeded = Object.fromEntries(skus.map((skuId) => [skuId, 40]));
    /** The SKUs the page announces: every SKU of an order it saw for the first time. */
    const changed = [...skus];
    /** Each SKU's version: one per movement, and S3's one new version (no movement of ours moved it). */
    const versions = expectedVersions(expected, skus);
    const onlyMarketplaceMoved = skus[2];
    versions[onlyMarketplaceMoved] = versions[onlyMarketplaceMoved]! + 1;
    return { seller, sellerId, skus, expected, seeded, changed, versions, onlyMarketplaceMoved };
  }

  /** One message per announced SKU, in the seller's group, deduplicated by its key, announcing the SKU's version. */
  function expectPublished(
    messages: ReceivedMessage[],
    { seller, changed, versions, onlyMarketplaceMoved }: Awaited<ReturnType<typeof sellerWithOrders>>,
  ) {
    const bySku = (m: ReceivedMessage) => String(m.envelope.payload.skuId);
    expect(messages.map(bySku).sort()).toEqual([...changed].sort());
    for (const message of messages) {
      expect(message).toEqual({
        envelope: expect.objectContaining({
          type: 'inventory.publish',
          accountId: seller.accountId,
          sellerId: seller.sellerId,
          marketplace: 'flipkart',
          // The newest movement's id; for S3, which no movement of ours moved, its new version and its id.
          idempotencyKey:
            bySku(message) === onlyMarketplaceMoved
              ? `inventory.publish:${seller.sellerId}:v${versions[onlyMarketplaceMoved]}:${onlyMarketplaceMoved}`
              : expect.stringMatching(new RegExp(`^inventory\\.publish:${seller.sellerId}:m\\d+$`)),
          payload: { skuId: bySku(message), version: versions[bySku(message)] },
        }),
        groupId: seller.sellerId,
        deduplicationId: message.envelope.idempotencyKey,
      });
    }
  }

  it('sends one inventory.publish per changed SKU after the commit; a re-sync sends none', async () => {
    const scenario = await sellerWithOrders();
    await runSync(activities, 'syncOrders', scenario.seller);

    expect(await stockOf(t.deps.pool, scenario.skus)).toEqual(expectedStock(scenario.seeded, scenario.expected));
    expectPublished(await published(), scenario);
    const claims = await outboxOf(t.deps.pool, scenario.sellerId);
    expect(claims.map((claim) => claim.sent_at)).toEqual(scenario.changed.map(() => expect.any(Date)));

    // The newest order is read again (the cursor is inclusive), then all of them (a lost cursor).
    await runSync(activities, 'syncOrders', scenario.seller);
    await t.deps.pool.query('DELETE FROM sync_cursors WHERE account_id = $1', [scenario.seller.accountId]);
    await runSync(activities, 'syncOrders', scenario.seller);
    expect(await published()).toEqual([]);
    expect(await outboxOf(t.deps.pool, scenario.sellerId)).toEqual(claims);
  });

  it('SQS refusing the send: stock moved, one claim per changed SKU waits, and the sweep sends each once after its lease', async () => {
    const scenario = await sellerWithOrders();
    const failedBefore = proxy.failed();
    await runSync(outage, 'syncOrders', scenario.seller);

    expect(proxy.failed()).toBeGreaterThan(failedBefore);
    expect(await stockOf(t.deps.pool, scenario.skus)).toEqual(expectedStock(scenario.seeded, scenario.expected));
    const claims = await outboxOf(t.deps.pool, scenario.sellerId);
    expect(claims.map((claim) => claim.envelope.payload.skuId).sort()).toEqual([...scenario.changed].sort());
    for (const claim of claims) {
      expect(claim).toMatchObject({ sent_at: null, last_error: expect.stringContaining('InternalError') });
    }
    expect(await published()).toEqual([]);

    const claimedAt = Math.max(...claims.map((claim) => claim.claimed_at.getTime()));
    // While the lease runs, the claim is its sender's: a tick leaves it.
    await tick(new Date(claimedAt + LEASE_MS - 1_000));
    expect(await published()).toEqual([]);

    const recovery = await tick(new Date(claimedAt + LEASE_MS + 1_000));
    expect(recovery.details.resentClaims).toBe(scenario.changed.length);
    expectPublished(await published(), scenario);

    // Again, later, and a re-sync with SQS back: nothing more.
    await tick(new Date(claimedAt + 2 * LEASE_MS + 1_000));
    await runSync(activities, 'syncOrders', scenario.seller);
    expect(await published()).toEqual([]);
    const after = await outboxOf(t.deps.pool, scenario.sellerId);
    expect(after.map((claim) => claim.idempotency_key)).toEqual(claims.map((claim) => claim.idempotency_key));
    expect(after.every((claim) => claim.sent_at instanceof Date)).toBe(true);
  });

  it('a worker dying at the outbox write keeps nothing of the page; the retry moves stock and claims together', async () => {
    const scenario = await sellerWithOrders();
    // The worker dies as it writes the outbox: the statement fails, as the process would.
    await t.deps.pool.query(`
      CREATE OR REPLACE FUNCTION test_die_at_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the worker died at the outbox write'; END $$;
      CREATE TRIGGER test_die_at_outbox BEFORE INSERT ON dispatch_claims
        FOR EACH ROW WHEN (NEW.sweep = 'order-sync') EXECUTE FUNCTION test_die_at_outbox();`);
    try {
      await expect(runSync(activities, 'syncOrders', scenario.seller)).rejects.toThrow('died at the outbox write');
    } finally {
      await t.deps.pool.query('DROP TRIGGER test_die_at_outbox ON dispatch_claims');
    }
    expect(await stockOf(t.deps.pool, scenario.skus)).toEqual(expectedStock(scenario.seeded, []));
    expect(await published()).toEqual([]);

    // The activity's retry.
    await runSync(activities, 'syncOrders', scenario.seller);
    expect(await stockOf(t.deps.pool, scenario.skus)).toEqual(expectedStock(scenario.seeded, scenario.expected));
    expectPublished(await published(), scenario);
  });
});
