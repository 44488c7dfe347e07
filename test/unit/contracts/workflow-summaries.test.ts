/**
 * The static summary and details every started workflow carries (src/contracts/workflow-summaries.ts),
 * for every message type: expected texts are written out from the envelope's fields, never computed.
 */
import { MESSAGE_TYPES, newEnvelope, type Envelope, type MessageType } from '../../../src/contracts/envelope';
import { workflowStaticDetails, workflowStaticSummary } from '../../../src/contracts/workflow-summaries';

const base = {
  accountId: 'A-7',
  marketplace: 'flipkart',
  dueAt: '2026-11-22T10:05:00.000Z',
  traceId: 'trace-0001-readable',
} as const;

function message(type: MessageType, fields: Partial<Envelope> = {}): Envelope {
  return newEnvelope({ ...base, type, idempotencyKey: `${type}:A-7:20261122T1005Z`, ...fields });
}

const SELLER = { sellerId: 'S-12' };

const summaries: [Envelope, string][] = [
  [message('account.sync', SELLER), 'Sync orders and returns of account A-7 (seller S-12) from Flipkart'],
  [message('ajio.token-refresh', { marketplace: 'ajio' }), 'Refresh the AJIO access token of account A-7'],
  [message('ajio.orders-sync', { marketplace: 'ajio', ...SELLER }), 'Sync AJIO orders of account A-7 (seller S-12)'],
  [
    message('inventory.deduct', { ...SELLER, payload: { skuId: 'sku-9', quantity: 3 } }),
    'Deduct 3 units of SKU sku-9 for seller S-12 and push it to every listing (asked on Flipkart, account A-7)',
  ],
  [
    message('inventory.publish', { ...SELLER, payload: { skuId: 'sku-9', version: 41 } }),
    'Publish the stock of SKU sku-9 (version 41) to every listing of seller S-12',
  ],
  [
    message('inventory.repair', { ...SELLER, marketplace: 'amazon' }),
    'Repair the stock every Amazon listing of account A-7 (seller S-12) shows',
  ],
  [
    message('marketplace.push', { ...SELLER, marketplace: 'meesho' }),
    'Push quantities, prices and statuses of every listing of account A-7 (seller S-12) to Meesho',
  ],
  [message('returns.sync'), 'Sync returns of account A-7 from Flipkart'],
  [message('document.download', SELLER), 'Download new documents of account A-7 (seller S-12) from Flipkart'],
  [message('payout.sync', SELLER), 'Sync payouts of account A-7 (seller S-12) from Flipkart'],
  [message('reconciliation.run', SELLER), 'Reconcile Flipkart orders against payouts of account A-7 (seller S-12)'],
];

it('covers every message type', () => {
  expect(summaries.map(([envelope]) => envelope.type).sort()).toEqual(Object.keys(MESSAGE_TYPES).sort());
});

it.each(summaries.map(([envelope, summary]) => [envelope.type, envelope, summary] as const))(
  '%s: one line a person understands',
  (_, envelope, summary) => {
    expect(workflowStaticSummary(envelope)).toBe(summary);
  },
);

it('says so when a deduct names no quantity or SKU, and a single unit in the singular', () => {
  expect(workflowStaticSummary(message('inventory.deduct', SELLER))).toBe(
    'Deduct an unstated quantity of a SKU for seller S-12 and push it to every listing (asked on Flipkart, account A-7)',
  );
  expect(workflowStaticSummary(message('inventory.deduct', { ...SELLER, payload: { skuId: 'x', quantity: 1 } }))).toBe(
    'Deduct 1 unit of SKU x for seller S-12 and push it to every listing (asked on Flipkart, account A-7)',
  );
});

it.each(summaries.map(([envelope]) => [envelope.type, envelope] as const))(
  '%s: details in markdown give key, trace id, due time and payload',
  (type, envelope) => {
    const details = workflowStaticDetails(envelope);
    const seller = envelope.sellerId ? ' of seller `S-12`' : '';
    const market = { flipkart: 'Flipkart', ajio: 'AJIO', amazon: 'Amazon', meesho: 'Meesho' }[envelope.marketplace];
    expect(details.split('\n').slice(0, 5)).toEqual([
      `**${type}** for account \`A-7\`${seller} on ${market}`,
      '',
      `- Idempotency key: \`${type}:A-7:20261122T1005Z\``,
      '- Trace id: `trace-0001-readable`',
      '- Due at: 2026-11-22T10:05:00.000Z',
    ]);
  },
);

it('lists the payload, and a backtick or line break in its text cannot break out of the code span', () => {
  const envelope = message('inventory.deduct', { ...SELLER, payload: { skuId: 'a`b\nc', quantity: 3 } });
  expect(workflowStaticDetails(envelope).split('\n').at(-1)).toBe('- Payload: skuId `a b c`, quantity `3`');
  expect(workflowStaticDetails(message('payout.sync')).split('\n').at(-1)).toBe('- Payload: none');
});
