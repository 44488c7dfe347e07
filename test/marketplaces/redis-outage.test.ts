/**
 * Redis stopped mid-saga: the rate limits' Redis goes away while a deduct's first push is in flight.
 * The pushes after it take their turns from the in-memory insurance limiter (each process's share of
 * every limit) instead of failing: the saga completes with nothing compensated, and the simulator's
 * ledger and PostgreSQL agree on what every listing shows. On a private Redis (its own port and data
 * folder), so stopping it disturbs no other test; everything else is the shared stack, with the
 * production settings.
 */
import type { SagaResult } from '../../src/workflows/saga';
import { portFromEnv } from '../../scripts/stack/service';
import { redisService } from '../../scripts/stack/services/redis';
import { startService, stopService } from '../../scripts/stack/stack';
import { eventually } from '../support/pipeline';
import { privateDataDir, usePrivateServer } from '../support/private-server';
import { appliedQuantities, expectDeductCommitted, externalIdOf, listedSku, shownQuantities } from '../support/stock';
import { WorkflowBench } from '../support/workflow-bench';

jest.setTimeout(180_000);

const port = portFromEnv('STACK_TEST_CALLS_REDIS_PORT', 26392);
const dataDir = privateDataDir('calls-redis');
const redis = redisService({ name: 'calls-redis', port, dataDir });

let bench: WorkflowBench;

// Declared before the private server's hooks, so it runs before that server is stopped for good:
// Redis comes back first, so the workers' connection closes cleanly.
afterAll(async () => {
  await startService(redis);
  await bench?.close();
});
usePrivateServer(redis, dataDir);
beforeAll(async () => {
  bench = await WorkflowBench.create({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'calls' } });
}, 120_000);

const STOCK = 40;
const ORDER_QUANTITY = 6;
/** How long the first push is held at the marketplace: the time Redis has to go away in. */
const FIRST_PUSH_MS = 3_000;

it('completes a deduct whose Redis stops mid-saga, nothing compensated, ledger and PostgreSQL agreeing', async () => {
  const sku = await listedSku(bench, STOCK, ['ajio', 'amazon', 'flipkart', 'meesho']);
  const [first, ...after] = sku.accounts;
  await bench.sim.addFault({
    kind: 'latency',
    ms: FIRST_PUSH_MS,
    times: 1,
    sellerId: first!.accountId,
    operation: 'listings-update',
  });
  const envelope = bench.envelope('inventory.deduct', first!, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

  const handle = await bench.start(envelope);
  // Reserved: the first push is on its way (held at the marketplace).
  const reserved = await eventually(
    async () => (await bench.pool.query('SELECT reserved FROM skus WHERE id = $1', [sku.skuId])).rows[0].reserved,
    (value) => value === ORDER_QUANTITY,
  );
  expect(reserved).toBe(ORDER_QUANTITY);
  await stopService(redis);
  const redisGone = Date.now();
  const result = (await handle.result()) as SagaResult;

  expect(result).toEqual({ status: 'completed', compensations: [] });
  const left = STOCK - ORDER_QUANTITY;
  expect(await shownQuantities(bench, sku)).toEqual(sku.accounts.map(() => left));
  const applied = await appliedQuantities(bench, sku.accounts);
  expect(applied.map(({ accountId, sku: external, quantity }) => [accountId, external, quantity])).toEqual(
    sku.accounts.map((account) => [account.accountId, externalIdOf(account, sku.skuId), left]),
  );
  // The later accounts' pushes went out with Redis away: their turns came from memory.
  for (const account of after) {
    expect(applied.find((entry) => entry.accountId === account.accountId)!.at).toBeGreaterThan(redisGone);
  }
  await expectDeductCommitted(bench, sku.skuId, left);
});
