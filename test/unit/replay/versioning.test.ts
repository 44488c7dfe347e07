/**
 * The versioning strategy (docs/deploys.md): a change to a workflow's steps goes behind patched().
 * Shown on inventoryDeductWorkflow with one real change, reading the listing accounts before the
 * reserve:
 * - negative control: made without patched(), the recorded deduct histories no longer replay; the
 *   replay test fails with a DeterminismViolationError (what a deploy would have done to runs in flight);
 * - made with patched(), every recorded (old) deduct history replays, and a new run takes the new branch.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Activities } from '../../../src/activities';
import { envelopeOf } from '../support/envelopes';
import { WorkflowHarness } from '../support/workflow-harness';
import { recordedHistories } from './histories';
import { bundleWithEditedWorkflow, replaceOnce } from './variant-bundle';

jest.setTimeout(180_000);

const RESERVE = "    await saga.activity('reserve', `reserve ${units}`, database.reserveStock, reserve);\n";
const LISTINGS = "    const accounts = await saga.activity('listings', listings, database.listingAccounts, sku);\n";
const RESERVE_THEN_LISTINGS = `${RESERVE}\n${LISTINGS}`;
const PATCH_ID = 'deduct-listings-before-reserve';

/** The unsafe change: two steps swapped. */
const swapped = (source: string) => replaceOnce(source, RESERVE_THEN_LISTINGS, LISTINGS + RESERVE);

/** The same change made the documented way. */
const patchedChange = (source: string) =>
  replaceOnce(
    replaceOnce(
      source,
      RESERVE_THEN_LISTINGS,
      [
        `    let accounts: Awaited<ReturnType<typeof database.listingAccounts>>;\n`,
        `    if (patched('${PATCH_ID}')) {\n`,
        `      accounts = await saga.activity('listings', listings, database.listingAccounts, sku);\n`,
        `  ${RESERVE}`,
        `    } else {\n`,
        `  ${RESERVE}`,
        `      accounts = await saga.activity('listings', listings, database.listingAccounts, sku);\n`,
        `    }\n`,
      ].join(''),
    ),
    "import type { Envelope } from '../contracts/envelope';",
    "import { patched } from '@temporalio/workflow';\nimport type { Envelope } from '../contracts/envelope';",
  );

const deductHistories = recordedHistories().filter((recorded) => recorded.workflowType === 'inventoryDeductWorkflow');
const cases = deductHistories.map((recorded) => [recorded.file, recorded] as const);

let swappedBundle: WorkflowBundle;
let patchedBundle: WorkflowBundle;

beforeAll(async () => {
  [swappedBundle, patchedBundle] = await Promise.all([
    bundleWithEditedWorkflow('inventory-deduct.ts', swapped),
    bundleWithEditedWorkflow('inventory-deduct.ts', patchedChange),
  ]);
});

const replay = (workflowBundle: WorkflowBundle, file: string, history: unknown) =>
  Worker.runReplayHistory({ workflowBundle, replayName: 'versioning' }, history, file).then(
    () => undefined,
    (error: unknown) => error,
  );

it('has the old deduct histories to replay: each saga ending', () => {
  expect(deductHistories.map((recorded) => recorded.outcome).sort()).toEqual(
    ['cancelled', 'compensated', 'completed', 'needs-attention'].sort(),
  );
});

describe('negative control: the steps swapped without patched()', () => {
  it.each(cases)('%s fails to replay with a DeterminismViolationError', async (file, recorded) => {
    const error = await replay(swappedBundle, file, recorded.history);
    expect(error).toBeInstanceOf(DeterminismViolationError);
    // Kept in the test's output: what the replay test says when a deploy would break runs in flight.
    process.stdout.write(`negative control, ${file}: ${(error as Error).name}: ${(error as Error).message}\n`);
  });
});

describe('the same change behind patched()', () => {
  it.each(cases)('%s (recorded before the change) replays without nondeterminism', async (file, recorded) => {
    expect(await replay(patchedBundle, file, recorded.history)).toBeUndefined();
  });

  it('a new run takes the new branch: the accounts are read before the reserve', async () => {
    const harness = await WorkflowHarness.start({ workflowBundle: patchedBundle });
    try {
      const calls: string[] = [];
      const called =
        <T>(name: string, value: T) =>
        async () => (calls.push(name), value);
      const stubs: Partial<Activities> = {
        loadDeductRequest: called('loadDeductRequest', { sellerId: 'seller-7', skuId: 'SKU-7', quantity: 3 }),
        listingAccounts: called('listingAccounts', [{ accountId: 'seller-ajio', marketplace: 'ajio' as const }]),
        reserveStock: called('reserveStock', { available: 97 }),
        pushStock: called('pushStock', { pushed: [], upToDate: [], unlisted: [], rejected: [] }),
        commitReservation: called('commitReservation', true),
        recordSagaRun: called('recordSagaRun', undefined),
      } as Partial<Activities>;
      const envelope = envelopeOf('inventory.deduct', {
        accountId: 'seller-ajio',
        sellerId: 'seller-7',
        idempotencyKey: 'deduct-patched',
        payload: { skuId: 'SKU-7', quantity: 3 },
      });

      const { result } = await harness.run('inventoryDeductWorkflow', [envelope], stubs);

      expect(result).toEqual({ status: 'completed', compensations: [] });
      expect(calls).toEqual([
        'loadDeductRequest',
        'listingAccounts',
        'reserveStock',
        'pushStock',
        'commitReservation',
        'recordSagaRun',
      ]);
    } finally {
      await harness.close();
    }
  });
});
