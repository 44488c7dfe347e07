/**
 * The duplicate-effect rule of the chaos run (scripts/chaos/oracles/effects.ts) on hand-made ledgers:
 * one decision writing one value twice in a row is a duplicate, key or no key; two decisions that
 * write the same value, or a value written again after another one, are not.
 */
import type { SimLedgerEntry, SimListingChange } from '../../../simulator/src/control';
import { decisionOf, duplicateEffects } from '../../../scripts/chaos/oracles/effects';

const PUSH = 'marketplace.push:acct-1:p3';
const OTHER_PUSH = 'marketplace.push:acct-1:p7';
const DEDUCT = 'inventory.deduct:acct-1:p4';
const MESSAGES = [PUSH, OTHER_PUSH, DEDUCT, 'marketplace.push:acct-1:p30'];

let seq = 0;
function write(key: string | null, ...applied: SimListingChange[]): SimLedgerEntry {
  seq += 1;
  return {
    seq,
    at: new Date(seq * 1_000).toISOString(),
    marketplace: 'ajio',
    sellerId: 'acct-1',
    operation: 'listings-update',
    idempotencyKey: key,
    request: {},
    outcome: 'applied',
    status: 200,
    applied,
  };
}

describe('decisionOf', () => {
  it('traces a key to the longest message key it contains, its undo and its stock version, not its run scope', () => {
    expect(decisionOf(`${PUSH}:pricePaise:0:run-a`, MESSAGES)).toBe(decisionOf(`${PUSH}:pricePaise:0:run-b`, MESSAGES));
    expect(decisionOf(`${PUSH}:pricePaise:0:undo:run-a`, MESSAGES)).not.toBe(
      decisionOf(`${PUSH}:pricePaise:0:run-a`, MESSAGES),
    );
    expect(decisionOf('marketplace.push:acct-1:p30:status:0:run-a', MESSAGES)).toContain('p30|');
    expect(decisionOf(`stock:acct-1:sku-1:v3:${DEDUCT}`, MESSAGES)).not.toBe(
      decisionOf(`stock:acct-1:sku-1:v4:${DEDUCT}`, MESSAGES),
    );
    expect(decisionOf(`stock:acct-1:sku-1:v3:${DEDUCT}:0b1c`, MESSAGES)).toBe(
      decisionOf(`stock:acct-1:sku-1:v3:${DEDUCT}`, MESSAGES),
    );
  });

  it('traces no write without a key, or with a key naming no known message', () => {
    expect(decisionOf(null, MESSAGES)).toBeUndefined();
    expect(decisionOf('5f0c9a3e-2b1d-4c55-9d7e-0a1b2c3d4e5f', MESSAGES)).toBeUndefined();
  });
});

describe('duplicateEffects', () => {
  it('counts one step applied twice under two keys (a retry that derived a new key)', () => {
    const ledger = [
      write(`${PUSH}:pricePaise:0:run-a`, { sku: 'S1', pricePaise: 100 }),
      write(`${PUSH}:pricePaise:0:run-a:retry-2`, { sku: 'S1', pricePaise: 100 }),
    ];
    expect(duplicateEffects(ledger, MESSAGES)).toHaveLength(1);
  });

  it('counts the same value written twice in a row without a key, or under keys naming no message', () => {
    expect(
      duplicateEffects([write(null, { sku: 'S1', quantity: 5 }), write(null, { sku: 'S1', quantity: 5 })], MESSAGES),
    ).toHaveLength(1);
    expect(
      duplicateEffects(
        [write('random-1', { sku: 'S1', quantity: 5 }), write('random-2', { sku: 'S1', quantity: 5 })],
        MESSAGES,
      ),
    ).toHaveLength(1);
    // One side traced is not enough to excuse the pair.
    expect(
      duplicateEffects(
        [
          write(`${PUSH}:status:0:run-a`, { sku: 'S1', status: 'active' }),
          write('random-3', { sku: 'S1', status: 'active' }),
        ],
        MESSAGES,
      ),
    ).toHaveLength(1);
  });

  it('does not count two messages writing the same value, or a step and its undo', () => {
    const ledger = [
      write(`${PUSH}:pricePaise:0:run-a`, { sku: 'S1', pricePaise: 100 }),
      write(`${OTHER_PUSH}:pricePaise:0:run-c`, { sku: 'S1', pricePaise: 100 }),
      write(`${OTHER_PUSH}:pricePaise:0:undo:run-c`, { sku: 'S1', pricePaise: 100 }),
    ];
    expect(duplicateEffects(ledger, MESSAGES)).toEqual([]);
  });

  it('counts one stock state published twice, and not two states that show the same quantity', () => {
    const twice = [
      write('stock:acct-1:sku-1:v3', { sku: 'S1', quantity: 7 }),
      write('stock:acct-1:sku-1:v3:7f3a', { sku: 'S1', quantity: 7 }),
    ];
    expect(duplicateEffects(twice, MESSAGES)).toHaveLength(1);
    const committed = [
      write('stock:acct-1:sku-1:v4', { sku: 'S1', quantity: 7 }),
      write('stock:acct-1:sku-1:v5', { sku: 'S1', quantity: 7 }),
      write(`stock:acct-1:sku-1:v5:${DEDUCT}:run-x`, { sku: 'S1', quantity: 7 }),
      write('stock:acct-1:0123456789abcdef0123456789abcdef', { sku: 'S1', quantity: 7 }),
    ];
    expect(duplicateEffects(committed, MESSAGES)).toEqual([]);
  });

  it('does not count a value written again after another value came in between', () => {
    const ledger = [
      write(null, { sku: 'S1', quantity: 5 }),
      write(null, { sku: 'S1', quantity: 4 }),
      write(null, { sku: 'S1', quantity: 5 }),
    ];
    expect(duplicateEffects(ledger, MESSAGES)).toEqual([]);
  });

  it('keeps fields, SKUs and sellers apart, and reads only writes the marketplace applied, in ledger order', () => {
    const refused = { ...write(null, { sku: 'S1', quantity: 5 }), outcome: 'replayed' as const };
    const otherSeller = { ...write(null, { sku: 'S1', quantity: 5 }), sellerId: 'acct-2' };
    const ledger = [
      write(null, { sku: 'S1', quantity: 5, pricePaise: 100 }),
      refused,
      otherSeller,
      write(null, { sku: 'S2', quantity: 5 }, { sku: 'S1', pricePaise: 200 }),
    ];
    expect(duplicateEffects(ledger, MESSAGES)).toEqual([]);
    const reversed = [write(null, { sku: 'S3', quantity: 1 }), write(null, { sku: 'S3', quantity: 2 })];
    const shuffled = [reversed[1]!, write(null, { sku: 'S3', quantity: 2 }), reversed[0]!];
    expect(duplicateEffects(shuffled, MESSAGES)).toHaveLength(1);
  });
});
