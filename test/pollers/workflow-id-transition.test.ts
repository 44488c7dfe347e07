/**
 * Workflow ids without repetition, deployed over work in flight (docs/messages.md, "Workflow ids"): a
 * message produced before the change, whose work ran or runs under the id it had then
 * (`<type>/<account>/<whole key>`), and delivered to the new poller, never starts the work a second
 * time: an open run is attached to, a completed one counts as done, and a completion recorded under
 * the old id (its run gone past retention) is found. Side effects are counted per business effect:
 * the SKU's stock movements in PostgreSQL and each account's listing updates at the marketplace.
 * A message never run before runs under the new id, and its start says what it does (summary and
 * details, written out here from the envelope sent).
 */
import { WORKFLOW_TYPES } from '../../src/contracts/workflows';
import { recordCompletedWork } from '../../src/db/completed-work';
import { findQueue, queueName } from '../../src/queues/catalogue';
import { WorkflowRunner, workflowStartOptions } from '../../src/pollers/workflow-runner';
import type { Envelope } from '../../src/contracts/envelope';
import { eventually } from '../support/pipeline';
import { queueIsEmpty, sqsServers } from '../support/sqs';
import { expectDeductCommitted, holdNextListingUpdate, listedSku, type ListedSku } from '../support/stock';
import { WorkflowBench } from '../support/workflow-bench';

jest.setTimeout(240_000);

const STOCK = 50;
const QUANTITY = 3;
const QUEUE = findQueue('inventory-deduct');

describe.each(sqsServers())('a message produced before ids dropped their repetition, on %s', (_server, env) => {
  let bench: WorkflowBench;

  beforeAll(async () => {
    bench = await WorkflowBench.create({ env });
    await bench.startPoller(QUEUE.name);
  }, 120_000);
  afterAll(() => bench?.close());

  /** The id the old poller gave the message: its whole key after type and account. */
  const oldId = (message: Envelope) => `inventory.deduct/${message.accountId}/${message.idempotencyKey}`;
  /** The key bench.envelope makes is `inventory.deduct:<account>:t<n>`: the new id keeps `t<n>`. */
  const newId = (message: Envelope) =>
    `inventory.deduct/${message.accountId}/${message.idempotencyKey.replace(`inventory.deduct:${message.accountId}:`, '')}`;

  async function deductOf(sku: ListedSku): Promise<Envelope> {
    return bench.envelope('inventory.deduct', sku.accounts[0]!, { skuId: sku.skuId, quantity: QUANTITY });
  }

  /** Started as the poller before the change started it: the same options under the old id. */
  async function startUnderOldId(message: Envelope) {
    const source = { queue: QUEUE, physicalName: queueName(QUEUE, bench.t.config.queues.prefix) };
    const options = workflowStartOptions(
      message,
      bench.t.config.temporal.taskQueue,
      source,
      'before',
      {},
      oldId(message),
    );
    return bench.client.workflow.start(WORKFLOW_TYPES[message.type], options);
  }

  /** A completion the old poller recorded under the old id, its run since gone past Temporal's retention. */
  const recordOldCompletion = (message: Envelope) =>
    recordCompletedWork(bench.pool, {
      workflowId: oldId(message),
      idempotencyKey: message.idempotencyKey,
      messageType: message.type,
      accountId: message.accountId,
      runId: 'gone-past-retention',
      sourceQueue: QUEUE.name,
    });

  const runsUnder = async (workflowId: string) =>
    (await bench.client.workflow.count(`WorkflowId = '${workflowId}'`)).count;

  /** Settled by the poller: the message deleted, and its completion recorded under one of its ids. */
  async function settled(message: Envelope): Promise<string[]> {
    await eventually(() => queueIsEmpty(bench.t.deps.sqs, bench.t.queueUrl(QUEUE.name)), Boolean);
    const { rows } = await bench.pool.query<{ workflow_id: string }>(
      'SELECT workflow_id FROM completed_work WHERE idempotency_key = $1',
      [message.idempotencyKey],
    );
    return rows.map((row) => row.workflow_id);
  }

  /** Listing updates each account's marketplace applied: one per account when the deduct ran once. */
  const updatesPerAccount = (sku: ListedSku) =>
    Promise.all(
      sku.accounts.map(
        async (account) =>
          (await bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })).length,
      ),
    );

  /** One run, under the old id, where the completion is recorded; one deduction; one push per listing. */
  async function expectRanOnceUnderOldId(message: Envelope, sku: ListedSku): Promise<void> {
    expect(await settled(message)).toEqual([oldId(message)]);
    expect(await runsUnder(oldId(message))).toBe(1);
    expect(await runsUnder(newId(message))).toBe(0);
    await expectDeductCommitted(bench, sku.skuId, STOCK - QUANTITY);
    expect(await updatesPerAccount(sku)).toEqual([1, 1]);
  }

  it('attaches to the run still open under the old id: one run, one deduction, one push per listing', async () => {
    const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart']);
    const message = await deductOf(sku);
    // The run's first push is held at the marketplace, so the run is still open when the message comes.
    await holdNextListingUpdate(bench, sku.accounts[0]!, 8_000);
    const old = await startUnderOldId(message);
    expect((await old.describe()).status.name).toBe('RUNNING');
    await bench.send(message);

    await expectRanOnceUnderOldId(message, sku);
  });

  it('counts a run completed under the old id as done, recording it under that id', async () => {
    const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart']);
    const message = await deductOf(sku);
    await (await startUnderOldId(message)).result();
    await bench.send(message);

    await expectRanOnceUnderOldId(message, sku);
  });

  it('finds a completion recorded under the old id when Temporal has forgotten its run', async () => {
    const sku = await listedSku(bench, STOCK, ['ajio']);
    const message = await deductOf(sku);
    await recordOldCompletion(message);
    await bench.send(message);

    expect(await settled(message)).toEqual([oldId(message)]);
    expect(await runsUnder(oldId(message))).toBe(0);
    expect(await runsUnder(newId(message))).toBe(0);
    const { rows } = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [sku.skuId]);
    expect(rows).toEqual([{ stock: STOCK, reserved: 0 }]);
    expect(await updatesPerAccount(sku)).toEqual([0]);
  });

  const stockOf = async (sku: ListedSku) =>
    (await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [sku.skuId])).rows[0];

  /** The runner as a poller with POLLER_LEGACY_ID_LOOKUP=off has it, settling one message. */
  function settleWithoutLookup(message: Envelope) {
    const runner = new WorkflowRunner({
      client: bench.client,
      pool: bench.pool,
      baseTaskQueue: bench.t.config.temporal.taskQueue,
      source: { queue: QUEUE, physicalName: queueName(QUEUE, bench.t.config.queues.prefix) },
      retryDelaySeconds: QUEUE.poller.retryDelaySeconds,
      legacyIdLookup: false,
    });
    return runner.settle({ envelope: message, sqsMessageId: 'lookup-off' }, { started: () => {}, finished: () => {} });
  }

  it('with the old-id lookup off, looks no more at Temporal under the old id, but still at its completion record', async () => {
    const sku = await listedSku(bench, STOCK, ['ajio']);
    const ranBefore = await deductOf(sku);
    await (await startUnderOldId(ranBefore)).result();
    // Turned off too early (before retention passed): the run Temporal still holds is not seen.
    expect(await settleWithoutLookup(ranBefore)).toMatchObject({ kind: 'completed' });
    expect(await runsUnder(newId(ranBefore))).toBe(1);
    expect(await stockOf(sku)).toEqual({ stock: STOCK - 2 * QUANTITY, reserved: 0 });

    const recorded = await deductOf(sku);
    await recordOldCompletion(recorded);
    expect(await settleWithoutLookup(recorded)).toEqual({ kind: 'completed', runId: 'recorded' });
    expect(await runsUnder(newId(recorded))).toBe(0);
    expect(await stockOf(sku)).toEqual({ stock: STOCK - 2 * QUANTITY, reserved: 0 });
  });

  it('runs a message never run before under the new id, its start saying what it does', async () => {
    const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart']);
    const message = await deductOf(sku);
    await bench.send(message);

    expect(await settled(message)).toEqual([newId(message)]);
    expect(await runsUnder(oldId(message))).toBe(0);
    await expectDeductCommitted(bench, sku.skuId, STOCK - QUANTITY);
    expect(await updatesPerAccount(sku)).toEqual([1, 1]);

    const described = await bench.client.workflow.getHandle(newId(message)).describe();
    expect(await described.staticSummary()).toBe(
      `Deduct 3 units of SKU ${sku.skuId} for seller ${sku.sellerId} and push it to every listing (asked on AJIO, account ${message.accountId})`,
    );
    expect(await described.staticDetails()).toBe(
      [
        `**inventory.deduct** for account \`${message.accountId}\` of seller \`${sku.sellerId}\` on AJIO`,
        '',
        `- Idempotency key: \`${message.idempotencyKey}\``,
        `- Trace id: \`${message.traceId}\``,
        `- Due at: ${message.dueAt}`,
        `- Payload: skuId \`${sku.skuId}\`, quantity \`3\``,
      ].join('\n'),
    );
  });
});
