/**
 * A 429 storm on a saga's push: the marketplace answers twelve 429s with `Retry-After: 1` (more than
 * the `marketplace` proxy's eight attempts) to one account's listing update. The push waits each one
 * out inside its attempt, outside its locks and heartbeating, then computes and sends the batch again:
 * the deduct saga completes with nothing compensated, and no activity spends a second attempt.
 * Everything the marketplace and PostgreSQL end with is derived from the seeded stock and the order.
 */
import type { SagaResult } from '../../src/workflows/saga';
import { workflowIdFor } from '../../src/contracts/workflows';
import { appliedQuantities, expectDeductCommitted, externalIdOf, listedSku, shownQuantities } from '../support/stock';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

const STOCK = 50;
const ORDER_QUANTITY = 4;
const STORM = 12;

it('completes a deduct through twelve 429s on one push, compensating nothing and spending no attempt', async () => {
  const sku = await listedSku(bench, STOCK, ['ajio', 'amazon', 'flipkart']);
  const stormed = sku.accounts[1]!;
  await bench.sim.addFault({
    kind: 'rate-limit',
    retryAfterSeconds: 1,
    times: STORM,
    sellerId: stormed.accountId,
    operation: 'listings-update',
  });
  const envelope = bench.envelope('inventory.deduct', sku.accounts[0]!, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

  const result = await bench.execute<SagaResult>(envelope);

  expect(result).toEqual({ status: 'completed', compensations: [] });
  const left = STOCK - ORDER_QUANTITY;
  const updates = await bench.sim.ledger({ sellerId: stormed.accountId, operation: 'listings-update' });
  expect(updates.map((entry) => [entry.outcome, entry.status])).toEqual([
    ...Array.from({ length: STORM }, () => ['fault', 429]),
    ['applied', 200],
  ]);
  expect(await shownQuantities(bench, sku)).toEqual([left, left, left]);
  const applied = await appliedQuantities(bench, sku.accounts);
  expect(applied.map(({ accountId, sku: external, quantity }) => [accountId, external, quantity])).toEqual(
    sku.accounts.map((account) => [account.accountId, externalIdOf(account, sku.skuId), left]),
  );
  await expectDeductCommitted(bench, sku.skuId, left);

  const history = await bench.client.workflow.getHandle(workflowIdFor(envelope)).fetchHistory();
  const attempts = (history.events ?? [])
    .map((event) => event.activityTaskStartedEventAttributes?.attempt)
    .filter((attempt) => attempt !== undefined && attempt !== null);
  expect(attempts.length).toBeGreaterThan(0);
  expect(new Set(attempts)).toEqual(new Set([1]));
}, 120_000);
