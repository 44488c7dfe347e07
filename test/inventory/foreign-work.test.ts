/**
 * Inventory work that names what is not its seller's is refused for good, on the real pollers and
 * queues, on both SQS servers: a deduct or a publish of another seller's SKU (ForeignSku), a deduct
 * or a repair from another seller's account (ForeignAccount). Each message is dead-lettered at once
 * (no retries) with the reason naming both sides and the failure type; nothing of the other seller's
 * moves: its stock, its reservations, its marketplace listings. (A retried failure would be
 * dead-lettered only once its budget of 5 runs, 30 s apart, is spent: far past these letters.)
 */
import { DEAD_LETTER_ATTRIBUTES } from '../../src/queues/dead-letter-record';
import type { Envelope } from '../../src/contracts/envelope';
import { deadLetters } from '../support/hostile';
import { sqsServers } from '../support/sqs';
import { listedSku, type ListedSku } from '../support/stock';
import { useWorkflowBench, type Seller } from '../support/workflow-bench';

jest.setTimeout(120_000);

const STOCK = 10;

describe.each(sqsServers())('work naming another seller’s SKU or account on %s', (_server, sqsOverrides) => {
  const bench = useWorkflowBench({ env: sqsOverrides }, async (created) => {
    await created.startPoller('inventory-deduct');
  });

  /** What the other seller has: untouched by any of the refused messages. */
  async function untouched(theirs: ListedSku) {
    const stock = await bench.pool.query('SELECT stock, reserved, version FROM skus WHERE id = $1', [theirs.skuId]);
    expect(stock.rows).toEqual([{ stock: STOCK, reserved: 0, version: '1' }]);
    const reservations = await bench.pool.query(
      'SELECT count(*)::int AS n FROM inventory_reservations WHERE sku_id = $1',
      [theirs.skuId],
    );
    expect(reservations.rows).toEqual([{ n: 0 }]);
    expect(await bench.sim.ledger({ sellerId: theirs.accounts[0]!.accountId, operation: 'listings-update' })).toEqual(
      [],
    );
  }

  it('is dead-lettered at once with the reason and failure type, and moves nothing of the other seller’s', async () => {
    const mine = await listedSku(bench, STOCK, ['meesho']);
    const theirs = await listedSku(bench, STOCK, ['meesho']);
    const [myAccount] = mine.accounts as [Seller];
    const [theirAccount] = theirs.accounts as [Seller];
    // Their account, in my seller's name (and so in my seller's FIFO group).
    const theirAccountAsMine: Seller = { ...theirAccount, sellerId: mine.sellerId };
    const refused: { envelope: Envelope; type: string; reason: string }[] = [
      {
        envelope: bench.envelope('inventory.deduct', myAccount, { skuId: theirs.skuId, quantity: 1 }),
        type: 'ForeignSku',
        reason: `SKU "${theirs.skuId}" is not seller ${mine.sellerId}'s`,
      },
      {
        envelope: bench.envelope('inventory.publish', myAccount, { skuId: theirs.skuId, version: 1 }),
        type: 'ForeignSku',
        reason: `SKU "${theirs.skuId}" is not seller ${mine.sellerId}'s`,
      },
      {
        envelope: bench.envelope('inventory.deduct', theirAccountAsMine, { skuId: mine.skuId, quantity: 1 }),
        type: 'ForeignAccount',
        reason: `account ${theirAccount.accountId} is not seller ${mine.sellerId}'s (it is seller ${theirs.sellerId}'s)`,
      },
      {
        envelope: bench.envelope('inventory.repair', theirAccountAsMine),
        type: 'ForeignAccount',
        reason: `account ${theirAccount.accountId} is not seller ${mine.sellerId}'s (it is seller ${theirs.sellerId}'s)`,
      },
    ];
    // Valid work of my seller after them in the same group still runs.
    const valid = bench.envelope('inventory.deduct', myAccount, { skuId: mine.skuId, quantity: 1 });
    for (const { envelope } of refused) await bench.send(envelope);
    await bench.send(valid);

    const letters = await deadLetters(bench, 'inventory-deduct', refused.length, 90_000);

    const byKey = new Map(letters.map((letter) => [(JSON.parse(letter.Body!) as Envelope).idempotencyKey, letter]));
    const verdictOf = (key: string) => {
      const attributes = byKey.get(key)?.MessageAttributes;
      if (!attributes) return 'no dead letter';
      const attribute = (name: string) => attributes[name]?.StringValue;
      return {
        disposition: attribute(DEAD_LETTER_ATTRIBUTES.disposition),
        failureType: attribute(DEAD_LETTER_ATTRIBUTES.failureType),
        reason: attribute(DEAD_LETTER_ATTRIBUTES.reason),
      };
    };
    expect(refused.map(({ envelope }) => verdictOf(envelope.idempotencyKey))).toEqual(
      refused.map(({ type, reason }) => ({
        disposition: 'failed',
        failureType: type,
        reason: expect.stringContaining(reason),
      })),
    );
    expect(await bench.ended(valid)).toEqual({
      status: 'completed',
      result: { status: 'completed', compensations: [] },
    });
    await untouched(theirs);
  });
});
