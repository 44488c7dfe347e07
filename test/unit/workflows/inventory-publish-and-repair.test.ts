/**
 * inventoryPublishWorkflow and inventoryRepairWorkflow on stub activities. Publish: a versioned push
 * of the SKU to each account listing it; a listing refused for good is recorded and does not stop the
 * others; a push that fails is tried for every other account first, then fails the workflow.
 * Repair: the account's listings in batches of its marketplace's update size, the counts summed, every
 * batch tried before a failed one fails the workflow; findings under the message's key, pushes under
 * a key of this run's own.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../../src/activities';
import { MAX_SKUS_PER_UPDATE } from '../../../src/contracts/marketplaces';
import { NO_STOCK_REPAIRS, type StockPushResult } from '../../../src/contracts/stock';
import { ActivityRecorder, refuse } from '../support/activity-stubs';
import { envelopeOf } from '../support/envelopes';
import { useWorkflowHarness } from '../support/workflow-harness';

type StockPush = Parameters<Activities['pushStock']>[0];

const harness = useWorkflowHarness();
const SELLER = 'seller-9';
const ACCOUNTS = [
  { accountId: 'acct-ajio', marketplace: 'ajio' },
  { accountId: 'acct-amazon', marketplace: 'amazon' },
  { accountId: 'acct-meesho', marketplace: 'meesho' },
] as const;

const pushed = ({ skuIds }: StockPush): StockPushResult => ({
  pushed: skuIds.map((skuId) => ({ skuId, externalId: `X-${skuId}`, quantity: 4, version: '6' })),
  upToDate: [],
  unlisted: [],
  rejected: [],
});

const failureOf = (failure: unknown) => (failure as WorkflowFailedError).cause?.cause as ApplicationFailure;

describe('inventory.publish', () => {
  const envelope = envelopeOf('inventory.publish', {
    accountId: 'acct-ajio',
    sellerId: SELLER,
    idempotencyKey: 'inventory.publish:acct-ajio:m42',
    payload: { skuId: 'SKU-1', version: 6 },
  });
  const stubs = (pushStock: (input: StockPush) => Promise<StockPushResult>): Partial<Activities> => ({
    publishTargets: async () => ({ skuId: 'SKU-1', accounts: [...ACCOUNTS] }),
    pushStock,
    recordPushRejections: async () => {},
  });

  it('pushes the SKU to every account; a refused listing is recorded and the others still pushed', async () => {
    const recorder = new ActivityRecorder();
    const refusal = { skuId: 'SKU-1', externalId: 'AMZ-1', quantity: 4, version: '6', error: 'listing locked' };
    const { result } = await harness().run(
      'inventoryPublishWorkflow',
      [envelope],
      recorder.record(
        stubs(async (input) =>
          input.accountId === 'acct-amazon' ? { ...pushed(input), pushed: [], rejected: [refusal] } : pushed(input),
        ),
      ),
    );

    expect(result).toEqual({
      skuId: 'SKU-1',
      pushed: 2,
      upToDate: 0,
      rejected: [{ ...refusal, accountId: 'acct-amazon' }],
    });
    expect(recorder.inputsOf('pushStock')).toEqual(
      ACCOUNTS.map(({ accountId }) => ({ sellerId: SELLER, accountId, skuIds: ['SKU-1'] })),
    );
    expect(recorder.inputsOf('recordPushRejections')).toEqual([
      { runKey: envelope.idempotencyKey, sellerId: SELLER, accountId: 'acct-amazon', rejected: [refusal] },
    ]);
  });

  it('a push that fails is tried for every other account first, then fails the workflow with its failure', async () => {
    const recorder = new ActivityRecorder();
    const { failure } = await harness().runFailing(
      'inventoryPublishWorkflow',
      [envelope],
      recorder.record(
        stubs(async (input) =>
          input.accountId === 'acct-ajio' ? refuse('account acct-ajio is disabled', 'AccountDisabled') : pushed(input),
        ),
      ),
    );

    expect(recorder.inputsOf('pushStock')).toHaveLength(ACCOUNTS.length);
    expect(failureOf(failure)).toMatchObject({ type: 'AccountDisabled', nonRetryable: true });
  });
});

describe('inventory.repair', () => {
  const envelope = envelopeOf('inventory.repair', {
    accountId: 'acct-flipkart',
    sellerId: SELLER,
    marketplace: 'flipkart',
    idempotencyKey: 'inventory.repair:acct-flipkart:s3:20261201T1000Z',
  });
  const SKUS = Array.from({ length: 2 * MAX_SKUS_PER_UPDATE.flipkart + 1 }, (_, i) => `SKU-${i}`);
  const stubs = (repairStock: Activities['repairStock']): Partial<Activities> => ({
    repairTargets: async () => ({ sellerId: SELLER, marketplace: 'flipkart', skuIds: SKUS }),
    repairStock,
  });

  it('repairs the account’s listings batch by batch and sums the counts; pushes carry this run’s key', async () => {
    const recorder = new ActivityRecorder();
    const { result } = await harness().run(
      'inventoryRepairWorkflow',
      [envelope],
      recorder.record(stubs(async ({ skuIds }) => ({ ...NO_STOCK_REPAIRS, checked: skuIds.length, repaired: 1 }))),
    );

    expect(result).toEqual({ ...NO_STOCK_REPAIRS, checked: SKUS.length, repaired: 3 });
    const calls = recorder.inputsOf('repairStock') as Parameters<Activities['repairStock']>[0][];
    expect(calls.map((call) => call.skuIds)).toEqual([SKUS.slice(0, 10), SKUS.slice(10, 20), SKUS.slice(20)]);
    for (const call of calls) {
      expect(call).toMatchObject({ sellerId: SELLER, accountId: envelope.accountId, runKey: envelope.idempotencyKey });
      expect(call.pushKey).toMatch(new RegExp(`^${envelope.idempotencyKey}:run-[0-9a-f-]{36}$`));
    }
  });

  it('a batch that fails leaves the others to go on, then fails the workflow', async () => {
    const recorder = new ActivityRecorder();
    const { failure } = await harness().runFailing(
      'inventoryRepairWorkflow',
      [envelope],
      recorder.record(
        stubs(async ({ skuIds }) =>
          skuIds.includes('SKU-0') ? refuse('read refused', 'MarketplaceValidation') : NO_STOCK_REPAIRS,
        ),
      ),
    );

    expect(recorder.inputsOf('repairStock')).toHaveLength(3);
    expect(failureOf(failure)).toMatchObject({ type: 'MarketplaceValidation', message: 'read refused' });
  });
});
