import { findQueue } from '../../src/queues/catalogue';
import { fifoAttributes, misrouting, queueForMessage } from '../../src/queues/routing';
import { WORKFLOW_TYPES } from '../../src/contracts/workflows';
import {
  MAX_ENVELOPE_BYTES,
  MESSAGE_TYPES,
  parseEnvelope,
  serializeEnvelope,
  slotToken,
  type Envelope,
  type MessageType,
} from '../../src/contracts/envelope';
import * as workflows from '../../src/workflows';

const valid: Envelope = {
  v: 1,
  type: 'ajio.token-refresh',
  accountId: 'seller_42',
  marketplace: 'ajio',
  idempotencyKey: 'ajio.token-refresh:seller_42:20261122T0800Z',
  dueAt: '2026-11-22T08:00:00.000Z',
  traceId: '6f1c2a8e-3b7d-4c55-9e0f-1a2b3c4d5e6f',
  payload: {},
};
const withChanges = (changes: Record<string, unknown>) => JSON.stringify({ ...valid, ...changes });

describe('the message envelope', () => {
  it('round-trips a valid envelope', () => {
    expect(parseEnvelope(serializeEnvelope(valid))).toEqual({ ok: true, envelope: valid });
  });

  it.each([
    ['not JSON', '{"v":1,', 'invalid JSON'],
    ['another version', withChanges({ v: 2 }), 'unsupported envelope version 2'],
    ['an unknown type', withChanges({ type: 'account.delete' }), 'schema violation: type:'],
    ['a missing field', JSON.stringify({ ...valid, accountId: undefined }), 'schema violation: accountId:'],
    ['a mistyped field', withChanges({ dueAt: 1732262400 }), 'schema violation: dueAt:'],
    ['an unknown field', withChanges({ accessToken: 'secret' }), 'schema violation: envelope:'],
    ['an account id with a path separator', withChanges({ accountId: '../etc' }), 'schema violation: accountId:'],
    ['an AJIO-only type for another marketplace', withChanges({ marketplace: 'amazon' }), 'marketplace: must be ajio'],
    ['a nested payload object', withChanges({ payload: { order: { id: 1 } } }), 'schema violation: payload.order'],
    ['an oversized body', withChanges({ payload: { pad: 'x'.repeat(MAX_ENVELOPE_BYTES) } }), 'oversized'],
  ])('rejects %s with a reason', (_case, body, reason) => {
    const result = parseEnvelope(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it('refuses to serialise what a poller would reject', () => {
    expect(() => serializeEnvelope({ ...valid, marketplace: 'meesho' })).toThrow();
  });

  it('routes each type to its queue, pushes per marketplace', () => {
    expect(queueForMessage('ajio.token-refresh', 'ajio').name).toBe('account-sync');
    expect(queueForMessage('marketplace.push', 'flipkart').name).toBe('marketplace-push-flipkart');
    expect(queueForMessage('reconciliation.run', 'amazon')).toMatchObject({ name: 'reconciliation', fifo: false });
  });

  it("groups token refreshes apart from the account's other FIFO work, one group per account", () => {
    const sync = { ...valid, type: 'ajio.orders-sync' as const, idempotencyKey: 'ajio.orders-sync:seller_42:1' };
    expect(fifoAttributes(valid)).toEqual({
      MessageGroupId: 'token:seller_42',
      MessageDeduplicationId: valid.idempotencyKey,
    });
    expect(fifoAttributes(sync).MessageGroupId).toBe('seller_42');
    const accountSync = findQueue('account-sync');
    expect(misrouting(valid, accountSync, 'token:seller_42')).toBeUndefined();
    expect(misrouting(valid, accountSync, 'seller_42')).toBe(
      'misrouted: FIFO group "seller_42" is not "token:seller_42", the group of ajio.token-refresh for the account seller_42',
    );
    expect(misrouting(sync, accountSync, 'token:seller_42')).toContain('is not "seller_42"');
  });

  describe('inventory work names its seller, whose FIFO group it travels in', () => {
    const deduct: Envelope = {
      ...valid,
      type: 'inventory.deduct',
      accountId: 'acct_ajio_7',
      sellerId: 'brand_7',
      idempotencyKey: 'inventory.deduct:acct_ajio_7:1',
      payload: { skuId: 'SKU-1', quantity: 2 },
    };
    const inventory = findQueue('inventory-deduct');

    it.each(['inventory.deduct', 'inventory.publish', 'inventory.repair'] as const)(
      '%s without sellerId is refused with the reason',
      (type) => {
        const result = parseEnvelope(JSON.stringify({ ...deduct, type, sellerId: undefined }));
        expect(result).toEqual({ ok: false, reason: `schema violation: sellerId: is required for ${type}` });
      },
    );

    it('refuses a seller id that could not be a group or an id', () => {
      const result = parseEnvelope(JSON.stringify({ ...deduct, sellerId: 'brand 7/../x' }));
      expect(!result.ok && result.reason).toContain('schema violation: sellerId:');
    });

    it('groups by the seller: two accounts of one seller share one group', () => {
      const other = { ...deduct, accountId: 'acct_amazon_7' };
      expect(fifoAttributes(deduct).MessageGroupId).toBe('brand_7');
      expect(fifoAttributes(other).MessageGroupId).toBe('brand_7');
      expect(misrouting(other, inventory, 'brand_7')).toBeUndefined();
    });

    it("refuses inventory work in its account's group, naming the seller's", () => {
      expect(misrouting(deduct, inventory, 'acct_ajio_7')).toBe(
        'misrouted: FIFO group "acct_ajio_7" is not "brand_7", the group of inventory.deduct for the seller brand_7',
      );
    });

    it("keeps other work in its account's group even when it names the seller", () => {
      const sync = {
        ...deduct,
        type: 'account.sync' as const,
        idempotencyKey: 'account.sync:acct_ajio_7:1',
        payload: {},
      };
      expect(fifoAttributes(sync).MessageGroupId).toBe('acct_ajio_7');
      expect(parseEnvelope(serializeEnvelope(sync))).toEqual({ ok: true, envelope: sync });
    });
  });

  it('has a workflow for every message type', () => {
    for (const type of Object.keys(MESSAGE_TYPES) as MessageType[]) {
      expect({ type, workflow: typeof (workflows as Record<string, unknown>)[WORKFLOW_TYPES[type]] }).toEqual({
        type,
        workflow: 'function',
      });
    }
  });

  it('writes slots as compact tokens', () => {
    expect(slotToken(new Date('2026-11-22T10:05:00.000Z'))).toBe('20261122T1005Z');
  });
});
