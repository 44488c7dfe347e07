/**
 * Workflow ids without repetition (docs/messages.md, "Workflow ids"): the key's `<type>:` and
 * `<account>:` are dropped, the id stays a function of the business identity, and the id a message
 * had before is known wherever it differs. Expected ids are written out, not computed.
 */
import { legacyWorkflowIdFor, workflowIdFor } from '../../../src/contracts/workflows';

const cases = [
  {
    what: 'a sweep key (type, account, slot)',
    message: { type: 'account.sync', accountId: 'A-7', idempotencyKey: 'account.sync:A-7:s12:20261122T1005Z' },
    id: 'account.sync/A-7/s12:20261122T1005Z',
    legacy: 'account.sync/A-7/account.sync:A-7:s12:20261122T1005Z',
  },
  {
    what: 'an expired-token refresh',
    message: {
      type: 'ajio.token-refresh',
      accountId: 'A-7',
      idempotencyKey: 'ajio.token-refresh:A-7:expired:1764000000000',
    },
    id: 'ajio.token-refresh/A-7/expired:1764000000000',
    legacy: 'ajio.token-refresh/A-7/ajio.token-refresh:A-7:expired:1764000000000',
  },
  {
    what: 'an outbox key naming the seller, not the account: only the type is dropped',
    message: { type: 'inventory.publish', accountId: 'A-7', idempotencyKey: 'inventory.publish:S-12:m40' },
    id: 'inventory.publish/A-7/S-12:m40',
    legacy: 'inventory.publish/A-7/inventory.publish:S-12:m40',
  },
  {
    what: "a caller's key that does not begin with its type: kept whole, the same id as before",
    message: { type: 'inventory.deduct', accountId: 'A-7', idempotencyKey: 'offline-sale-88' },
    id: 'inventory.deduct/A-7/offline-sale-88',
    legacy: undefined,
  },
  {
    what: 'a key that is only its type and account: kept after the type',
    message: { type: 'payout.sync', accountId: 'A-7', idempotencyKey: 'payout.sync:A-7:' },
    id: 'payout.sync/A-7/A-7:',
    legacy: 'payout.sync/A-7/payout.sync:A-7:',
  },
  {
    what: 'an account id that only begins like the key',
    message: { type: 'payout.sync', accountId: 'A', idempotencyKey: 'payout.sync:A-7:20261122T1005Z' },
    id: 'payout.sync/A/A-7:20261122T1005Z',
    legacy: 'payout.sync/A/payout.sync:A-7:20261122T1005Z',
  },
] as const;

it.each(cases.map((c) => [c.what, c] as const))('%s', (_, { message, id, legacy }) => {
  expect(workflowIdFor(message)).toBe(id);
  expect(legacyWorkflowIdFor(message)).toBe(legacy);
});

it('gives a redelivery the same id, and different slots different ids', () => {
  const message = {
    type: 'returns.sync',
    accountId: 'A-7',
    idempotencyKey: 'returns.sync:A-7:20261122T1005Z',
  } as const;
  expect(workflowIdFor({ ...message })).toBe(workflowIdFor(message));
  expect(workflowIdFor({ ...message, idempotencyKey: 'returns.sync:A-7:20261122T1010Z' })).not.toBe(
    workflowIdFor(message),
  );
});
