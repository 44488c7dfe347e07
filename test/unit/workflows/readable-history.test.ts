/**
 * What the Temporal UI shows of a run, read the way the UI reads it: each activity's summary on its
 * ActivityTaskScheduled event (user metadata), and the saga's progress as the workflow's current
 * details (the `__temporal_workflow_metadata` query). Expected texts are written out from the inputs.
 */
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Activities } from '../../../src/activities';
import type { StockPushResult } from '../../../src/contracts/stock';
import { refuse } from '../support/activity-stubs';
import { envelopeOf } from '../support/envelopes';
import { useWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness();

const SELLER = 'S-12';
const ACCOUNTS = [
  { accountId: 'A-ajio', marketplace: 'ajio' as const },
  { accountId: 'A-flip', marketplace: 'flipkart' as const },
];
const deduct = (key: string) =>
  envelopeOf('inventory.deduct', {
    accountId: 'A-ajio',
    sellerId: SELLER,
    idempotencyKey: key,
    payload: { skuId: 'SKU-9', quantity: 3 },
  });

/** The deduct's forward steps as their activities' summaries say them. */
const DEDUCT_STEPS = [
  'load the deduct request',
  'reserve 3 units of SKU SKU-9',
  'find the listings of SKU SKU-9',
  'push SKU SKU-9 quantity to AJIO account A-ajio (1/2)',
  'push SKU SKU-9 quantity to Flipkart account A-flip (2/2)',
];

const PUSHED: StockPushResult = { pushed: [], upToDate: [], unlisted: [], rejected: [] };

function deductStubs(pushStock: Activities['pushStock']): Partial<Activities> {
  return {
    loadDeductRequest: async () => ({ sellerId: SELLER, skuId: 'SKU-9', quantity: 3 }),
    reserveStock: async () => undefined as never,
    listingAccounts: async () => ACCOUNTS,
    pushStock,
    commitReservation: async () => undefined as never,
    releaseReservation: async () => true,
    republishSku: async () => undefined as never,
    recordSagaRun: async () => undefined,
  };
}

/** The summaries of the run's scheduled activities, in order, as the UI lists them in the history. */
async function activitySummaries(h: WorkflowHarness, workflowId: string): Promise<string[]> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((event) => event.activityTaskScheduledEventAttributes)
    .map((event) => {
      const summary = event.userMetadata?.summary;
      return summary ? defaultPayloadConverter.fromPayload<string>(summary) : '(no summary)';
    });
}

/** The workflow's current details, through the query the UI's User Metadata tab sends. */
async function currentDetails(h: WorkflowHarness, workflowId: string): Promise<string> {
  const handle = h.client.workflow.getHandle(workflowId);
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

it('a completed deduct: every activity summarised, the progress says completed', async () => {
  const h = harness();
  const run = await h.run(
    'inventoryDeductWorkflow',
    [deduct('readable-done')],
    deductStubs(async () => PUSHED),
  );
  expect(await activitySummaries(h, run.workflowId)).toEqual([
    ...DEDUCT_STEPS,
    'commit the deduction of 3 units of SKU SKU-9',
    "record the saga's end: completed",
  ]);
  expect(await currentDetails(h, run.workflowId)).toBe('**inventory-deduct saga: completed**, 6 steps done');
});

it('a deduct refused on its second push: the undo is summarised and the progress says what was undone', async () => {
  const h = harness();
  const stubs = deductStubs(async ({ accountId }) =>
    accountId === 'A-flip' ? refuse('listing frozen', 'ListingRefused') : PUSHED,
  );
  const run = await h.runFailing('inventoryDeductWorkflow', [deduct('readable-undone')], stubs);
  expect(await activitySummaries(h, run.workflowId)).toEqual([
    ...DEDUCT_STEPS,
    'compensate: release 3 units of SKU SKU-9',
    'compensate: push SKU SKU-9 to every listing again',
    "record the saga's end: compensated",
  ]);
  expect((await currentDetails(h, run.workflowId)).split('\n')).toEqual([
    '**inventory-deduct saga: compensated**, after `push:flipkart:A-flip` failed: listing frozen',
    '',
    '- Done: 4 steps, the last: push SKU SKU-9 quantity to AJIO account A-ajio (1/2)',
    '- Undone: release the reservation of 3 units of SKU SKU-9',
  ]);
});

it('a marketplace push: batches numbered, quantities, prices and statuses each summarised', async () => {
  const h = harness();
  const listings = Array.from({ length: 12 }, (_, i) => ({
    sku: `EXT-${i}`,
    skuId: `SKU-${i}`,
    pricePaise: 100,
    status: 'active',
  }));
  const envelope = envelopeOf('marketplace.push', { accountId: 'A-flip', sellerId: SELLER, marketplace: 'flipkart' });
  const run = await h.run('marketplacePushWorkflow', [envelope], {
    desiredListings: async () => listings as never,
    readListings: async ({ skus }) => skus.map((sku) => ({ sku, pricePaise: 90, status: 'active' })) as never,
    pushStock: async () => PUSHED,
    updateListings: async ({ changes }) => ({ applied: changes.map((c) => c.sku), failed: [] }),
    recordSagaRun: async () => undefined,
  });
  expect(await activitySummaries(h, run.workflowId)).toEqual([
    'load up to 200 listings of account A-flip',
    'read batch 1/2 back from Flipkart (10 SKUs)',
    'push quantity batch 1/2 to Flipkart (10 SKUs)',
    'push prices batch 1/2 to Flipkart (10 SKUs)',
    'push statuses batch 1/2 to Flipkart (10 SKUs)',
    'read batch 2/2 back from Flipkart (2 SKUs)',
    'push quantity batch 2/2 to Flipkart (2 SKUs)',
    'push prices batch 2/2 to Flipkart (2 SKUs)',
    'push statuses batch 2/2 to Flipkart (2 SKUs)',
    "record the saga's end: completed",
  ]);
  expect(await currentDetails(h, run.workflowId)).toBe('**marketplace-push saga: completed**, 9 steps done');
});

/** A promise the test resolves, and one the stub resolves, with its run's workflow id, when it is reached. */
function gate() {
  let open!: () => void;
  let reached!: (workflowId: string) => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const wasReached = new Promise<string>((resolve) => (reached = resolve));
  return {
    open,
    opened,
    reached: () => reached(Context.current().info.workflowExecution?.workflowId ?? ''),
    wasReached,
  };
}

it('shows step n of m while a step runs, and the undo under way while it compensates', async () => {
  const h = harness();
  const push = gate();
  const release = gate();
  const stubs: Partial<Activities> = {
    ...deductStubs(async ({ accountId }) => {
      if (accountId !== 'A-flip') return PUSHED;
      push.reached();
      await push.opened;
      return refuse('listing frozen', 'ListingRefused');
    }),
    releaseReservation: async () => {
      release.reached();
      await release.opened;
      return true;
    },
  };
  const running = h.runFailing('inventoryDeductWorkflow', [deduct('readable-live')], stubs);
  // Both gates open in the end whatever the checks find: a stub left waiting would hold the worker.
  try {
    const workflowId = await push.wasReached;
    expect((await currentDetails(h, workflowId)).split('\n')).toEqual([
      '**inventory-deduct saga: running**, step 5 of 6: push SKU SKU-9 quantity to Flipkart account A-flip (2/2)',
      '',
      '- Done: 4 steps, the last: push SKU SKU-9 quantity to AJIO account A-ajio (1/2)',
    ]);
    push.open();
    await release.wasReached;
    expect((await currentDetails(h, workflowId)).split('\n')).toEqual([
      '**inventory-deduct saga: compensating**, after `push:flipkart:A-flip` failed: listing frozen',
      '',
      '- Done: 4 steps, the last: push SKU SKU-9 quantity to AJIO account A-ajio (1/2)',
      '- Undoing 1 of 1: release the reservation of 3 units of SKU SKU-9',
      '- Undone: nothing yet',
    ]);
    release.open();
  } finally {
    push.open();
    release.open();
  }
  await running;
});
