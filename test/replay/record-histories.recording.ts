/**
 * Records the replay fixtures (test/fixtures/histories/*.json) from real runs on the local stack: the
 * service's workers and activities (WorkflowBench), the simulator's faults for the saga endings that
 * need one, an operator's cancel for `cancelled`. Not a test: `npm run record:histories` runs this file
 * (scripts/record-histories.ts) and writes one fixture per scenario, named
 * `<workflow type>-<how it ended>.json`, in the JSON form `temporal workflow show --output json` gives.
 * Every history is checked for the seeded secrets before it is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Envelope } from '../../src/contracts/envelope';
import { holdNextListingUpdate, listedSku, pushInFlight } from '../support/stock';
import { WorkflowBench, type Seller } from '../support/workflow-bench';
import { TEMPORAL_CLI } from '../unit/support/temporal-env';

jest.setTimeout(600_000);

const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const STOCK = 100;
const ORDER_QUANTITY = 3;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

let bench: WorkflowBench;

beforeAll(async () => {
  bench = await WorkflowBench.create();
  mkdirSync(FIXTURES, { recursive: true });
}, 120_000);

afterAll(() => bench?.close());

/** Waits for the run's end, whatever it is, then writes its history as `<name>.json`. */
async function record(name: string, handle: WorkflowHandle): Promise<void> {
  await handle.result().catch((error: unknown) => {
    if (!(error instanceof WorkflowFailedError)) throw error;
  });
  // The CLI's JSON, not the SDK's historyToJSON: the SDK's copy of protobufjs does not know the client's
  // history type in this install ("type must be a Type").
  const { address, namespace } = bench.t.config.temporal;
  const json = execFileSync(
    TEMPORAL_CLI,
    [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--address',
      address,
      '--namespace',
      namespace,
      '--output',
      'json',
    ],
    { maxBuffer: 64 * 2 ** 20 },
  );
  writeFileSync(path.join(FIXTURES, `${name}.json`), JSON.stringify(JSON.parse(json.toString('utf8')), null, 2) + '\n');
}

const start = (envelope: Envelope) => bench.start(envelope);
const deductOn = async (marketplaces: Parameters<typeof listedSku>[2]) => {
  const sku = await listedSku(bench, STOCK, marketplaces);
  const envelope = bench.envelope('inventory.deduct', sku.accounts[0]!, { skuId: sku.skuId, quantity: ORDER_QUANTITY });
  return { sku, envelope };
};

it('smokeCheckWorkflow: completed', async () => {
  const workflowId = `smoke-check-${randomUUID()}`;
  bench.workflowIds.push(workflowId);
  const handle = await bench.client.workflow.start('smokeCheckWorkflow', {
    taskQueue: bench.t.config.temporal.taskQueue,
    workflowId,
    args: ['replay fixture'],
  });
  await record('smokeCheckWorkflow-completed', handle);
});

it('inventoryDeductWorkflow: completed', async () => {
  const { envelope } = await deductOn(['ajio', 'amazon', 'flipkart']);
  await record('inventoryDeductWorkflow-completed', await start(envelope));
});

it('inventoryDeductWorkflow: compensated (a push refused once)', async () => {
  const { sku, envelope } = await deductOn(['ajio', 'amazon', 'flipkart']);
  await bench.sim.addFault({
    kind: 'fail-hard',
    sellerId: sku.accounts[2]!.accountId,
    operation: 'listings-update',
    times: 1,
  });
  await record('inventoryDeductWorkflow-compensated', await start(envelope));
});

it('inventoryDeductWorkflow: needs-attention (the push and its undo refused)', async () => {
  const { sku, envelope } = await deductOn(['ajio', 'amazon', 'flipkart']);
  await bench.sim.addFault({ kind: 'fail-hard', sellerId: sku.accounts[2]!.accountId, operation: 'listings-update' });
  await record('inventoryDeductWorkflow-needs-attention', await start(envelope));
});

it('inventoryDeductWorkflow: cancelled (an operator cancels while a push is in flight)', async () => {
  const { sku, envelope } = await deductOn(['ajio', 'flipkart', 'meesho']);
  await holdNextListingUpdate(bench, sku.accounts[1]!, 4_000);
  const handle = await start(envelope);
  await pushInFlight(bench.pool);
  await handle.cancel();
  await record('inventoryDeductWorkflow-cancelled', handle);
});

it('inventoryPublishWorkflow: completed', async () => {
  const sku = await listedSku(bench, STOCK, ['amazon', 'meesho']);
  await record(
    'inventoryPublishWorkflow-completed',
    await start(bench.envelope('inventory.publish', sku.accounts[0]!, { skuId: sku.skuId, version: 1 })),
  );
});

it('inventoryRepairWorkflow: completed', async () => {
  const sku = await listedSku(bench, STOCK, ['meesho']);
  await bench.pool.query('UPDATE skus SET stock = 25 WHERE id = $1', [sku.skuId]);
  await record('inventoryRepairWorkflow-completed', await start(bench.envelope('inventory.repair', sku.accounts[0]!)));
});

it('marketplacePushWorkflow: completed', async () => {
  const sku = await listedSku(bench, STOCK, ['flipkart']);
  await record(
    'marketplacePushWorkflow-completed',
    await start(bench.envelope('marketplace.push', sku.accounts[0]!, { scheduleId: '7' })),
  );
});

it('ajioTokenRefreshWorkflow: completed', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio' });
  await record('ajioTokenRefreshWorkflow-completed', await start(bench.envelope('ajio.token-refresh', seller)));
});

describe('the read workflows', () => {
  let seller: Seller;
  beforeAll(async () => {
    seller = await bench.seedSeller({
      marketplace: 'ajio',
      orders: [
        { orderId: 'paid', status: 'delivered', totalPaise: 5_000, orderedAt: minutesAgo(60), lines: [] },
        { orderId: 'unpaid', status: 'delivered', totalPaise: 9_000, orderedAt: minutesAgo(40), lines: [] },
      ],
      returns: [{ returnId: 'r1', orderId: 'paid', status: 'received', createdAt: minutesAgo(3) }],
      payouts: [{ payoutId: 'p1', orderId: 'paid', amountPaise: 5_000, paidAt: minutesAgo(20) }],
      documents: [
        {
          documentId: 'inv-1',
          kind: 'invoice',
          createdAt: minutesAgo(5),
          content: Buffer.from('invoice #1').toString('base64'),
        },
      ],
    });
  });

  it.each([
    ['accountSyncWorkflow', 'account.sync'],
    ['ajioOrdersSyncWorkflow', 'ajio.orders-sync'],
    ['returnsSyncWorkflow', 'returns.sync'],
    ['payoutSyncWorkflow', 'payout.sync'],
    ['reconciliationWorkflow', 'reconciliation.run'],
    ['documentDownloadWorkflow', 'document.download'],
  ] as const)('%s: completed', async (workflowType, messageType) => {
    await record(`${workflowType}-completed`, await start(bench.envelope(messageType, seller)));
  });
});

it('wrote histories that hold no seeded secret and no token the simulator issued', async () => {
  expect(await bench.secretsInHistories()).toEqual([]);
});
