/**
 * The read workflows (src/workflows/sync.ts) on stub activities: which activities each calls, in
 * what order and with what input, and that each returns what its activities reported.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { Activities } from '../../../src/activities';
import { MAX_DOCUMENTS_PER_RUN } from '../../../src/workflows/sync';
import { ActivityRecorder, refuse } from '../support/activity-stubs';
import { envelopeOf } from '../support/envelopes';
import { useWorkflowHarness } from '../support/workflow-harness';

const ENVELOPE = envelopeOf('account.sync', {
  accountId: 'acct-sync',
  marketplace: 'meesho',
  dueAt: '2025-01-15T06:30:00.000Z',
  idempotencyKey: 'sync-run-3',
});
/** What every read activity is told: the account, its marketplace, and when the run was due. */
const SYNC_INPUT = { accountId: ENVELOPE.accountId, marketplace: ENVELOPE.marketplace, dueAt: ENVELOPE.dueAt };
/** Distinct per resource, so a result that reports the wrong one shows. */
const STORED = { syncOrders: 7, syncReturns: 2, syncPayouts: 5, syncDocumentList: 4 };

const readStubs: Partial<Activities> = {
  syncOrders: async () => ({ stored: STORED.syncOrders }),
  syncReturns: async () => ({ stored: STORED.syncReturns }),
  syncPayouts: async () => ({ stored: STORED.syncPayouts }),
  syncDocumentList: async () => ({ stored: STORED.syncDocumentList }),
};

const harness = useWorkflowHarness();

it.concurrent.each([
  { workflow: 'accountSyncWorkflow', reads: ['syncOrders', 'syncReturns'], result: { orders: 7, returns: 2 } },
  { workflow: 'ajioOrdersSyncWorkflow', reads: ['syncOrders'], result: { orders: 7 } },
  { workflow: 'returnsSyncWorkflow', reads: ['syncReturns'], result: { returns: 2 } },
  { workflow: 'payoutSyncWorkflow', reads: ['syncPayouts'], result: { payouts: 5 } },
] as const)(
  '$workflow reads $reads in that order and returns what each stored',
  async ({ workflow, reads, result }) => {
    const recorder = new ActivityRecorder();
    const run = await harness().run(workflow, [ENVELOPE], recorder.record(readStubs));

    expect(recorder.calls).toEqual(reads.map((name) => ({ name, input: SYNC_INPUT })));
    expect(run.result).toEqual(result);
  },
);

it.concurrent(
  'accountSyncWorkflow does not read returns when the orders read fails (a return refers to an order)',
  async () => {
    const recorder = new ActivityRecorder();
    const stubs = recorder.record({ ...readStubs, syncOrders: async () => refuse('orders unavailable') });

    await expect(harness().run('accountSyncWorkflow', [ENVELOPE], stubs)).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(recorder.names()).toEqual(['syncOrders']);
  },
);

it.concurrent('reconciliationWorkflow reconciles the account under the run key and returns its figures', async () => {
  const figures = { checked: 12, mismatches: 3, recordedNow: 3 };
  const recorder = new ActivityRecorder();
  const run = await harness().run(
    'reconciliationWorkflow',
    [ENVELOPE],
    recorder.record({ reconcileOrders: async () => figures }),
  );

  expect(recorder.calls).toEqual([
    { name: 'reconcileOrders', input: { accountId: ENVELOPE.accountId, runKey: ENVELOPE.idempotencyKey } },
  ]);
  expect(run.result).toEqual(figures);
});

describe('documentDownloadWorkflow', () => {
  /**
   * Documents listed but not yet stored, oldest first. The per-run limit is documentsToDownload's
   * to apply (in SQL): the workflow's part is to ask for no more than MAX_DOCUMENTS_PER_RUN and to
   * download exactly what it is given.
   */
  const pendingDocuments = (count: number) => Array.from({ length: count }, (_, n) => `doc-${n}`);
  const sha256Of = (documentId: string) => `sha256-of-${documentId}`;

  function documentStubs(pending: string[]): Partial<Activities> {
    return {
      ...readStubs,
      documentsToDownload: async () => pending,
      downloadDocument: async ({ documentId }) => ({ sha256: sha256Of(documentId), bytes: 1_024 }),
    };
  }

  it.concurrent(
    'lists new documents, asks for at most its per-run limit, downloads each one given and returns their SHA-256s',
    async () => {
      const pending = pendingDocuments(3);
      const recorder = new ActivityRecorder();
      const run = await harness().run('documentDownloadWorkflow', [ENVELOPE], recorder.record(documentStubs(pending)));

      expect(recorder.calls).toEqual([
        { name: 'syncDocumentList', input: SYNC_INPUT },
        { name: 'documentsToDownload', input: { accountId: ENVELOPE.accountId, limit: MAX_DOCUMENTS_PER_RUN } },
        ...pending.map((documentId) => ({
          name: 'downloadDocument',
          input: { accountId: ENVELOPE.accountId, marketplace: ENVELOPE.marketplace, documentId },
        })),
      ]);
      expect(run.result).toEqual({
        downloaded: pending.map((documentId) => ({ documentId, sha256: sha256Of(documentId) })),
      });
    },
  );

  it.concurrent('with nothing pending, downloads nothing', async () => {
    const recorder = new ActivityRecorder();
    const run = await harness().run('documentDownloadWorkflow', [ENVELOPE], recorder.record(documentStubs([])));

    expect(recorder.names()).toEqual(['syncDocumentList', 'documentsToDownload']);
    expect(run.result).toEqual({ downloaded: [] });
  });
});
