/**
 * How sagas end on the real stack (docs/operations.md, "How a saga ends"): only a business failure
 * compensates, and then the workflow fails non-retryably so the message is dead-lettered; exhausted
 * retryable trouble undoes nothing and fails retryably (the poller runs the message again); a cancel
 * compensates, then the message is dead-lettered `cancelled`; a terminate undoes nothing and the saga
 * needs attention until the drift repair puts the listings right. Keys are the run's own, so a second
 * run of a message applies. Each case ends with the simulator's ledger and PostgreSQL agreeing, the
 * expectations derived from the seeded stock and the message's quantity.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowFailedError } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimListing } from '../../simulator/src/control';
import { workflowIdFor } from '../../src/contracts/workflows';
import type { Envelope } from '../../src/contracts/envelope';
import { SAGA_FAILURES } from '../../src/contracts/failures';
import { MessageFates } from '../../src/pollers/message-fate';
import { WorkflowRuns } from '../../src/pollers/workflow-runs';
import { queueForMessage } from '../../src/queues/routing';
import { eventually } from '../support/pipeline';
import { sqsServers } from '../support/sqs';
import { holdNextListingUpdate, listedSku, pushInFlight, shownQuantities, type ListedSku } from '../support/stock';
import { WorkflowBench, type ListingSeed, type Seller } from '../support/workflow-bench';

jest.setTimeout(240_000);

let bench: WorkflowBench;

beforeAll(async () => {
  bench = await WorkflowBench.create();
}, 120_000);

afterAll(() => bench?.close());

const STOCK = 100;
const ORDER_QUANTITY = 3;
const everywhere = (sku: ListedSku, quantity: number) => sku.accounts.map(() => quantity);

async function stockRow(skuId: string) {
  const { rows } = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
  return rows[0];
}

async function sagaRow(envelope: Envelope) {
  const { rows } = await bench.pool.query('SELECT status, failed_step FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  return rows[0];
}

const deductOf = (sku: ListedSku) =>
  bench.envelope('inventory.deduct', sku.accounts[0]!, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

/** Where the poller of the message's queue put it once it gave up on it: its dead letter's disposition. */
async function deadLettered(envelope: Envelope) {
  const rows = await eventually(
    async () =>
      (
        await bench.pool.query('SELECT disposition, failure_type FROM dead_letters WHERE workflow_id = $1', [
          workflowIdFor(envelope),
        ])
      ).rows,
    (found) => found.length > 0,
    120_000,
  );
  return rows[0];
}

/** The poller's verdict on the message as its runs stand now. */
const fateOf = (envelope: Envelope) =>
  new MessageFates(new WorkflowRuns(bench.client), { failedRunBudget: 5, retryDelayMs: 30_000 }).next(
    workflowIdFor(envelope),
    undefined,
  );

describe('a marketplace.push whose price update outcome is unknown', () => {
  const PRICE_BEFORE = 50_000;
  const PRICE_WANTED = 99_900;

  async function pushSeller(count: number): Promise<Seller> {
    const sellerId = `ends-${randomUUID().slice(0, 8)}`;
    const listings: ListingSeed[] = [];
    for (let i = 0; i < count; i += 1) {
      const skuId = `${sellerId}-${i}`;
      await bench.seedSku(skuId, 10, sellerId);
      listings.push({
        skuId,
        externalId: `FK-${i}`,
        quantity: 10,
        pricePaise: PRICE_WANTED,
        status: 'active',
        atMarketplace: { quantity: 10, pricePaise: PRICE_BEFORE, status: 'active' },
      });
    }
    return bench.seedSeller({ sellerId, marketplace: 'flipkart', listings });
  }

  const prices = async (seller: Seller) =>
    ((await bench.sim.seller('flipkart', seller.accountId)).listings as SimListing[])
      .map((listing) => listing.pricePaise)
      .sort();

  it('an answer lost, then the retry refused: compensated, and the marketplace shows the previous price', async () => {
    const seller = await pushSeller(3);
    // The first price update is applied and its answer lost; the retry (same key) is refused outright.
    await bench.sim.addFault({
      kind: 'lose-response',
      sellerId: seller.accountId,
      keyContains: ':pricePaise:0',
      times: 1,
    });
    await bench.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, keyContains: ':pricePaise:0', times: 1 });
    const envelope = bench.envelope('marketplace.push', seller);

    await bench.start(envelope);
    const end = await bench.ended(envelope);

    expect(end).toMatchObject({ status: 'failed', failure: { type: SAGA_FAILURES.compensated, nonRetryable: true } });
    expect(await sagaRow(envelope)).toEqual({ status: 'compensated', failed_step: 'pricePaise:0' });
    expect(await prices(seller)).toEqual([PRICE_BEFORE, PRICE_BEFORE, PRICE_BEFORE]);
    const priceCalls = (await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })).filter(
      (entry) => entry.idempotencyKey?.includes(':pricePaise:0'),
    );
    // Applied (answer lost), refused, then the undo applied: three calls, the first and last applied.
    expect(priceCalls.map((entry) => entry.applied.map((change) => change.pricePaise))).toEqual([
      [PRICE_WANTED, PRICE_WANTED, PRICE_WANTED],
      [],
      [PRICE_BEFORE, PRICE_BEFORE, PRICE_BEFORE],
    ]);
    expect(await fateOf(envelope)).toMatchObject({ kind: 'dead-letter', verdict: { disposition: 'failed' } });
  });

  it('a second run of a push whose first run compensated applies its changes', async () => {
    const seller = await pushSeller(2);
    await bench.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, keyContains: ':status:0', times: 1 });
    const envelope = bench.envelope('marketplace.push', seller);
    await bench.start(envelope);
    expect(await bench.ended(envelope)).toMatchObject({ failure: { type: SAGA_FAILURES.compensated } });
    expect(await prices(seller)).toEqual([PRICE_BEFORE, PRICE_BEFORE]);

    // The replay: the same message, a new run.
    await bench.start(envelope);
    const replayed = await bench.ended(envelope);

    expect(replayed).toEqual({ status: 'completed', result: { status: 'completed', compensations: [] } });
    expect(await prices(seller)).toEqual([PRICE_WANTED, PRICE_WANTED]);
    expect(await sagaRow(envelope)).toEqual({ status: 'completed', failed_step: null });
    const { runId } = await bench.client.workflow.getHandle(workflowIdFor(envelope)).describe();
    const lastPriceCall = (await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' }))
      .filter((entry) => entry.idempotencyKey?.includes(':pricePaise:0'))
      .at(-1);
    expect(lastPriceCall?.idempotencyKey).toBe(`${envelope.idempotencyKey}:pricePaise:0:run-${runId}`);
    expect(lastPriceCall?.applied.map((change) => change.pricePaise)).toEqual([PRICE_WANTED, PRICE_WANTED]);
  });
});

describe('inventory.deduct', () => {
  it('retryable trouble that spends its attempts undoes nothing: the run fails retryably and a later run applies once', async () => {
    const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart']);
    const flipkart = sku.accounts[1]!;
    // Every Flipkart update answers 503 for the whole run: the push step spends its eight attempts.
    const fault = await bench.sim.addFault({
      kind: 'error',
      status: 503,
      sellerId: flipkart.accountId,
      operation: 'listings-update',
    });
    const envelope = deductOf(sku);

    const run = await bench.start(envelope);
    const failure = await run.result().then(
      () => undefined,
      (error: WorkflowFailedError) => error.cause,
    );

    expect(failure).toMatchObject({ type: SAGA_FAILURES.retriesSpent, nonRetryable: false });
    // Nothing undone: the reservation is held, AJIO shows it, no saga end is recorded.
    expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: ORDER_QUANTITY });
    expect(await shownQuantities(bench, sku)).toEqual([STOCK - ORDER_QUANTITY, STOCK]);
    expect(await sagaRow(envelope)).toBeUndefined();
    expect(await fateOf(envelope)).toMatchObject({ kind: 'retry' });

    // The poller's later run, once Flipkart answers again: reserves anew (the first run's hold released), applies.
    await bench.sim.removeFault(fault);
    await bench.start(envelope);
    expect(await bench.ended(envelope)).toMatchObject({ status: 'completed' });
    expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK - ORDER_QUANTITY, reserved: 0 });
    expect(await shownQuantities(bench, sku)).toEqual(everywhere(sku, STOCK - ORDER_QUANTITY));
    const moves = await bench.pool.query('SELECT kind, quantity FROM stock_movements WHERE sku_id = $1 ORDER BY id', [
      sku.skuId,
    ]);
    expect(moves.rows).toEqual([
      { kind: 'reserve', quantity: ORDER_QUANTITY },
      { kind: 'release', quantity: ORDER_QUANTITY },
      { kind: 'reserve', quantity: ORDER_QUANTITY },
      { kind: 'commit', quantity: ORDER_QUANTITY },
    ]);
  });

  describe.each(sqsServers())('stopped by an operator while a push is in flight (the poller on %s)', (_server, env) => {
    /** A deduct sent to its queue, its push to the second account held at the marketplace. */
    async function deductHeldInFlight() {
      const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart', 'meesho']);
      // Longer than a cancel takes to reach the step (a heartbeat every 5 s), shorter than the call's timeout.
      await holdNextListingUpdate(bench, sku.accounts[1]!, 8_000);
      const envelope = deductOf(sku);
      await bench.send(envelope);
      await pushInFlight(bench.pool);
      return { sku, envelope, handle: bench.client.workflow.getHandle(workflowIdFor(envelope)) };
    }

    // A bench of this SQS server's own for these cases; the file's helpers use it meanwhile.
    let fileBench: WorkflowBench;
    beforeAll(async () => {
      fileBench = bench;
      bench = await WorkflowBench.create({ env });
      await bench.startPoller(queueForMessage('inventory.deduct', 'ajio').name);
    }, 120_000);
    afterAll(async () => {
      expect(await bench.secretsInHistories()).toEqual([]);
      await bench.close();
      bench = fileBench;
    });

    it('a cancel lets the push on the wire land, compensates, and the message is dead-lettered `cancelled`', async () => {
      const { sku, envelope, handle } = await deductHeldInFlight();

      await handle.cancel();

      expect(await deadLettered(envelope)).toEqual({ disposition: 'cancelled', failure_type: 'cancelled' });
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect(await sagaRow(envelope)).toEqual({
        status: 'compensated',
        // The push on the wire was awaited and landed; then its step ended cancelled (docs/operations.md,
        // "What a cancel does to work in flight").
        failed_step: 'push:flipkart:' + sku.accounts[1]!.accountId,
      });
      expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
      expect(await shownQuantities(bench, sku)).toEqual(everywhere(sku, STOCK));
      // The push in flight landed before its undo: per account, what each update applied, in order.
      const applied = await Promise.all(
        sku.accounts.map(async (account) =>
          (await bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })).map(
            (entry) => entry.applied[0]?.quantity,
          ),
        ),
      );
      // The third account never took the reservation; the republish still sends it the release's version.
      expect(applied).toEqual([[STOCK - ORDER_QUANTITY, STOCK], [STOCK - ORDER_QUANTITY, STOCK], [STOCK]]);
    });

    it('a terminate undoes nothing: needs attention, then inventory.repair puts the listings right', async () => {
      const { sku, envelope, handle } = await deductHeldInFlight();

      await handle.terminate('emergency stop');

      expect(await deadLettered(envelope)).toMatchObject({ disposition: 'stopped' });
      expect(await sagaRow(envelope)).toMatchObject({ status: 'needs_attention' });
      // Half-done: the reservation is held, the last account never heard of it.
      expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: ORDER_QUANTITY });
      await sleep(8_000); // the push the terminate cut off still lands at the marketplace
      await eventually(
        () => shownQuantities(bench, sku),
        (shown) => shown[1] === STOCK - ORDER_QUANTITY,
        30_000,
      );
      expect((await shownQuantities(bench, sku))[2]).toBe(STOCK);

      for (const account of sku.accounts) {
        await bench.start(bench.envelope('inventory.repair', account));
      }
      for (const id of bench.workflowIds.slice(-sku.accounts.length)) {
        await bench.client.workflow.getHandle(id).result();
      }

      // Every listing shows what PostgreSQL says is available: the stock less the held reservation.
      expect(await shownQuantities(bench, sku)).toEqual(everywhere(sku, STOCK - ORDER_QUANTITY));
    });
  });
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(await bench.secretsInHistories()).toEqual([]);
});
