/**
 * The chaos plan (scripts/chaos/plan.ts): seeded, seller-based with shared SKUs, and its planned saga
 * failures kept reachable (nothing pushes a doomed SKU before its planned deduct).
 */
import { FULL_RUN, planChaos, type ChaosOptions } from '../../../scripts/chaos/plan';

/** The full run's plan, of a seed of its own. */
const OPTIONS: ChaosOptions = { ...FULL_RUN, seed: 420_042 };

/** The plan as plain data (accounts by id), to compare two plans. */
function outline(plan: ReturnType<typeof planChaos>) {
  return {
    sellers: plan.sellers.map((s) => [
      s.sellerId,
      s.skus,
      s.accounts.map((a) => `${a.accountId}:${a.doomedSku ?? ''}`),
    ]),
    messages: plan.messages.map((m) => [m.index, m.round, m.type, m.account.accountId, m.idempotencyKey, m.payload]),
    orders: plan.orders.map((o) => [o.account.accountId, o.orderId, o.lines, o.placeAt, o.then]),
    faults: plan.faults,
    events: plan.events,
    expected: plan.expected,
  };
}

it('gives the same plan for the same seed and another for another seed', () => {
  expect(outline(planChaos(OPTIONS, 3_000))).toEqual(outline(planChaos(OPTIONS, 3_000)));
  expect(outline(planChaos({ ...OPTIONS, seed: 420_043 }, 3_000))).not.toEqual(outline(planChaos(OPTIONS, 3_000)));
});

it('plans sellers whose accounts on several marketplaces list the same SKUs, and some with one account', () => {
  const plan = planChaos(OPTIONS, 3_000);
  expect(plan.sellers).toHaveLength(60);
  const multi = plan.sellers.filter((s) => new Set(s.accounts.map((a) => a.marketplace)).size >= 2);
  expect(multi.length).toBeGreaterThan(plan.sellers.length / 2);
  expect(plan.sellers.some((s) => s.accounts.length === 1)).toBe(true);
  for (const seller of plan.sellers)
    for (const account of seller.accounts) {
      expect(account.sellerId).toBe(seller.sellerId);
      expect(account.skus).toEqual(seller.skus);
    }
});

it('ends with one account sync per account, after every other message, and orders on every seller', () => {
  const plan = planChaos(OPTIONS, 3_000);
  const lastRound = Math.max(...plan.messages.map((m) => m.round));
  const last = plan.messages.filter((m) => m.round === lastRound);
  expect(last.map((m) => m.account.accountId).sort()).toEqual(plan.accounts.map((a) => a.accountId).sort());
  expect(new Set(last.map((m) => m.type))).toEqual(new Set(['account.sync']));
  expect(new Set(plan.orders.map((o) => o.account.sellerId))).toEqual(new Set(plan.sellers.map((s) => s.sellerId)));
  expect(plan.orders.some((o) => o.then?.status === 'cancelled')).toBe(true);
  for (const order of plan.orders) expect(order.then?.at ?? 1).toBeGreaterThanOrEqual(order.placeAt);
});

it('pushes a doomed SKU by nothing but its planned deduct: no pushes on its seller, no other deduct or order of it', () => {
  const plan = planChaos(OPTIONS, 3_000);
  const doomed = plan.sellers.filter((s) => s.accounts.some((a) => a.doomedSku));
  expect(doomed).toHaveLength(Math.ceil(OPTIONS.sagaFailures / 2));
  for (const seller of doomed) {
    const sku = seller.skus[1];
    expect(seller.accounts.every((a) => a.doomedSku === sku)).toBe(true);
    const ofSeller = plan.messages.filter((m) => m.account.sellerId === seller.sellerId);
    expect(ofSeller.filter((m) => m.type === 'marketplace.push')).toEqual([]);
    const deducts = ofSeller.filter((m) => m.type === 'inventory.deduct' && m.payload.skuId === sku);
    expect(deducts).toHaveLength(1);
    expect(plan.expected.compensatedSagas).toContain(deducts[0]!.idempotencyKey);
    expect(plan.orders.filter((o) => o.lines.some((l) => l.skuId === sku))).toEqual([]);
  }
});
