/**
 * The Temporal Web UI in a real browser, the way an engineer finds an account's work: the workflows
 * list filtered by the AccountId search attribute, then one workflow's activity events, search
 * attributes and memo; what a person reads there (User Metadata: the workflow's summary and details,
 * each activity's summary, and a running saga's progress as its current details). Real workflows on
 * the stack; expected texts are written out from the envelopes sent. Screenshots are kept in
 * `.data/artifacts`.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { workflowIdFor } from '../../src/contracts/workflows';
import { queueName } from '../../src/queues/catalogue';
import { queueForMessage } from '../../src/queues/routing';
import { type Envelope } from '../../src/contracts/envelope';
import { launchChromium, saveScreenshot } from '../support/browser';
import { listedSku } from '../support/stock';
import { WorkflowBench } from '../support/workflow-bench';

// The first chromium launch and the UI's first page load are slow on two cores.
jest.setTimeout(120_000);

const UI_URL = process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:18233';
const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';

let bench: WorkflowBench;
let browser: Browser;
let page: Page;
let accountSync: Envelope;
let payoutSync: Envelope;
let otherAccountSync: Envelope;

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

beforeAll(async () => {
  [bench, browser] = await Promise.all([WorkflowBench.create(), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  // Seeded accounts get fresh ids, so the AccountId filter can only match this run's workflows.
  const seller = await bench.seedSeller({
    marketplace: 'amazon',
    orders: [{ orderId: 'ui-o1', status: 'delivered', totalPaise: 5_000, orderedAt: minutesAgo(30), lines: [] }],
    returns: [{ returnId: 'ui-r1', orderId: 'ui-o1', status: 'received', createdAt: minutesAgo(20) }],
    payouts: [{ payoutId: 'ui-p1', orderId: 'ui-o1', amountPaise: 5_000, paidAt: minutesAgo(10) }],
  });
  const other = await bench.seedSeller({ marketplace: 'amazon' });
  accountSync = bench.envelope('account.sync', seller, { scheduleId: 'ui' });
  payoutSync = bench.envelope('payout.sync', seller);
  otherAccountSync = bench.envelope('account.sync', other, { scheduleId: 'ui' });
  await Promise.all([accountSync, payoutSync, otherAccountSync].map((envelope) => bench.execute(envelope)));
  await untilListed(accountQuery(accountSync), 2);
});

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    await bench?.close();
  }
});

const accountQuery = (envelope: Envelope) => `AccountId="${envelope.accountId}"`;

/** Visibility is eventually consistent: the UI lists only what the visibility store already has. */
async function untilListed(query: string, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await bench.client.workflow.count(query)).count < expected) {
    if (Date.now() > deadline) throw new Error(`visibility never listed ${expected} workflows for ${query}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The list table as rows of column name -> cell text; the columns are the user's to configure. */
async function listedWorkflows(table: Locator): Promise<Record<string, string | undefined>[]> {
  const columns = (await table.locator('thead').getByRole('columnheader').allInnerTexts()).map((c) => c.trim());
  const rows = await table.locator('tbody').getByRole('row').all();
  return Promise.all(
    rows.map(async (row) => {
      const cells = (await row.getByRole('cell').allInnerTexts()).map((c) => c.trim());
      return Object.fromEntries(columns.map((column, i) => [column, cells[i]]));
    }),
  );
}

/** Activity types of the history's Activity Task Scheduled events, in the order shown. */
async function scheduledActivityTypes(): Promise<string[]> {
  const rows = page.getByRole('row').filter({ hasText: 'Activity Task Scheduled' });
  await rows.first().waitFor();
  const texts = await rows.allInnerTexts();
  return texts.map((text) => /Activity Type\s+(\S+)/.exec(text)?.[1] ?? `unreadable: ${text}`);
}

/** The summaries of the history's Activity Task Scheduled events, in the order shown (newest first). */
async function scheduledActivitySummaries(): Promise<string[]> {
  const rows = page.getByRole('row').filter({ hasText: 'Activity Task Scheduled' });
  await rows.first().waitFor();
  const texts = await rows.allInnerTexts();
  return texts.map((text) => /Summary\s+(.+)/.exec(text)?.[1]?.trim() ?? `no summary: ${text}`);
}

/**
 * The text of one User Metadata panel (Summary, Details, Current Details): the UI renders its markdown
 * in an iframe below the panel's heading. Waits until the panel shows something.
 */
async function metadataPanel(heading: string): Promise<string> {
  const title = page.getByRole('heading', { name: heading, exact: true });
  // The innermost element holding both the heading and a rendered iframe: its panel.
  const panel = page
    .locator('div')
    .filter({ has: title })
    .filter({ has: page.locator('iframe') })
    .last();
  const body = panel.frameLocator('iframe').first().locator('body');
  await body.filter({ hasText: /\S/ }).waitFor();
  // The UI's markdown renderer sets `1/2` with a fraction slash (U+2044); read back as typed.
  return (await body.innerText()).replace(/\u2044/g, '/').trim();
}

async function openUserMetadata(workflowId: string): Promise<void> {
  await page.goto(`${UI_URL}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`);
  await page.getByRole('heading', { level: 1, name: workflowId }).waitFor();
  await page.getByRole('tab', { name: 'User Metadata' }).click();
}

/** The JSON a workflow tab (search attributes, memo) shows in its read-only code view. */
async function tabJson(tab: string): Promise<unknown> {
  await page.getByRole('tab', { name: tab }).click();
  await page.getByRole('heading', { name: tab }).waitFor();
  const code = page.getByRole('textbox');
  await code.filter({ hasText: '{' }).waitFor();
  await saveScreenshot(page, `temporal-ui-${tab.toLowerCase().replace(/ /g, '-')}`);
  return JSON.parse(await code.innerText());
}

it('lists exactly the account’s workflows, by workflow id and type', async () => {
  await page.goto(`${UI_URL}/namespaces/${NAMESPACE}/workflows?query=${encodeURIComponent(accountQuery(accountSync))}`);
  const table = page.getByRole('table', { name: 'Workflows' });
  await table.getByRole('link', { name: workflowIdFor(payoutSync) }).waitFor();
  await table.getByRole('link', { name: workflowIdFor(accountSync) }).waitFor();
  await saveScreenshot(page, 'temporal-ui-list');

  const listed = (await listedWorkflows(table)).map((row) => ({
    status: row.Status,
    id: row['Workflow ID'],
    type: row.Type,
  }));
  expect(listed).toHaveLength(2);
  expect(listed).toEqual(
    expect.arrayContaining([
      { status: 'Completed', id: workflowIdFor(accountSync), type: 'accountSyncWorkflow' },
      { status: 'Completed', id: workflowIdFor(payoutSync), type: 'payoutSyncWorkflow' },
    ]),
  );
  expect(await page.getByText(otherAccountSync.accountId).count()).toBe(0);
});

it('shows a workflow’s activity events, search attributes and memo', async () => {
  const workflowId = workflowIdFor(accountSync);
  await page.getByRole('table', { name: 'Workflows' }).getByRole('link', { name: workflowId }).click();
  await page.getByRole('heading', { level: 1, name: workflowId }).waitFor();
  const activities = await scheduledActivityTypes();
  await saveScreenshot(page, 'temporal-ui-workflow');

  expect(await page.locator('main').innerText()).toMatch(/Workflow Type\s+accountSyncWorkflow/);
  // Orders, then returns; the history lists the newest event first.
  expect(activities).toEqual(['syncReturns', 'syncOrders']);
  await page.getByRole('row').filter({ hasText: 'Workflow Execution Completed' }).waitFor();

  const queue = queueName(queueForMessage('account.sync', 'amazon'), bench.t.config.queues.prefix);
  expect(await tabJson('Search Attributes')).toMatchObject({
    indexedFields: {
      AccountId: accountSync.accountId,
      Marketplace: 'amazon',
      SourceQueue: queue,
      MessageType: 'account.sync',
    },
  });
  expect(await tabJson('Memo')).toEqual({ fields: { traceId: accountSync.traceId, sqsMessageId: 'none' } });
});

it('shows what the workflow does: its summary and details, and each activity’s summary in the history', async () => {
  const workflowId = workflowIdFor(accountSync);
  await openUserMetadata(workflowId);
  expect(await metadataPanel('Summary')).toBe(
    `Sync orders and returns of account ${accountSync.accountId} (seller ${accountSync.sellerId}) from Amazon`,
  );
  expect((await metadataPanel('Details')).split('\n').filter(Boolean)).toEqual([
    `account.sync for account ${accountSync.accountId} of seller ${accountSync.sellerId} on Amazon`,
    `Idempotency key: ${accountSync.idempotencyKey}`,
    `Trace id: ${accountSync.traceId}`,
    `Due at: ${accountSync.dueAt}`,
    'Payload: scheduleId ui',
  ]);
  await saveScreenshot(page, 'temporal-ui-user-metadata');

  await page.getByRole('tab', { name: /^History/ }).click();
  // Orders, then returns; the history lists the newest event first.
  expect(await scheduledActivitySummaries()).toEqual([
    'read returns from Amazon into PostgreSQL',
    'read orders from Amazon into PostgreSQL',
  ]);
  await saveScreenshot(page, 'temporal-ui-activity-summaries');
});

it('shows a running saga’s progress as its current details: step n of m, what is done', async () => {
  const sku = await listedSku(bench, 20, ['flipkart']);
  const [account] = sku.accounts;
  const deduct = bench.envelope('inventory.deduct', account!, { skuId: sku.skuId, quantity: 2 });
  // Every listing update of the account fails (503) until the page is read: the saga stays on its push,
  // retrying, and is then cancelled, which releases the reservation.
  const fault = await bench.sim.addFault({
    kind: 'error',
    status: 503,
    sellerId: account!.accountId,
    operation: 'listings-update',
  });
  const handle = await bench.start(deduct);
  try {
    await openUserMetadata(handle.workflowId);
    // The UI asks a running workflow for its current details (the __temporal_workflow_metadata query).
    expect((await metadataPanel('Current Details')).split('\n').filter(Boolean)).toEqual([
      `inventory-deduct saga: running, step 4 of 5: push SKU ${sku.skuId} quantity to Flipkart account ${account!.accountId} (1/1)`,
      `Done: 3 steps, the last: find the listings of SKU ${sku.skuId}`,
    ]);
    await saveScreenshot(page, 'temporal-ui-current-details');
  } finally {
    await bench.sim.removeFault(fault);
    await handle.cancel();
    await handle.result().catch(() => undefined);
  }
});
