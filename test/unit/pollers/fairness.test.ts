import { fairnessKeyFor, fairnessStartOptions } from '../../../src/pollers/fairness';
import { workflowStartOptions } from '../../../src/pollers/workflow-runner';
import { findQueue } from '../../../src/queues/catalogue';
import { envelopeOf } from '../support/envelopes';

describe('fairness key: one share of a task queue per seller', () => {
  it('is the seller the message names', () => {
    expect(fairnessKeyFor({ accountId: 'acct-7', sellerId: 'seller-3' })).toBe('seller-3');
  });

  it('falls back to the account when the message names no seller, rather than look the seller up', () => {
    expect(fairnessKeyFor({ accountId: 'acct-7' })).toBe('acct-7');
  });

  it('fits Temporal’s 64-byte limit for the longest ids the envelope accepts', () => {
    const longest = 'x'.repeat(64);
    expect(Buffer.byteLength(fairnessKeyFor({ accountId: longest, sellerId: longest }))).toBeLessThanOrEqual(64);
    expect(Buffer.byteLength(fairnessKeyFor({ accountId: longest }))).toBeLessThanOrEqual(64);
  });

  it('leaves the weight at the server’s default, so every seller gets an equal share', () => {
    expect(fairnessStartOptions({ accountId: 'acct-7', sellerId: 'seller-3' })).toEqual({
      priority: { fairnessKey: 'seller-3' },
    });
  });
});

describe('workflow start options: every workflow a poller starts carries its seller’s key', () => {
  const source = { queue: findQueue('inventory-deduct'), physicalName: 'unit-inventory-deduct.fifo' };

  it.each([
    ['inventory.deduct', { sellerId: 'seller-big', payload: { skuId: 'sku-1', quantity: 1 } }, 'seller-big'],
    ['account.sync', { sellerId: 'seller-small' }, 'seller-small'],
    ['account.sync', {}, 'acct-unit'],
  ] as const)('%s with %j: fairness key %s', (type, fields, key) => {
    const options = workflowStartOptions(envelopeOf(type, fields), 'unit', source, 'sqs-1');
    expect(options.priority).toEqual({ fairnessKey: key });
  });
});
