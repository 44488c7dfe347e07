/**
 * Per-marketplace rate limits as plain data. (The batch sizes workflow code plans with are in
 * src/contracts/marketplaces.ts, so the workflow sandbox never pulls in the HTTP clients.)
 */
import type { Marketplace } from '../contracts/marketplaces';

export interface RateLimit {
  points: number;
  seconds: number;
}

/** Two tiers, as SP-API enforces them: per seller account, and per application across all sellers. */
export interface OperationLimits {
  perAccount: RateLimit;
  perApplication: RateLimit;
}

export type MarketplaceOperation =
  | 'token'
  | 'profile'
  | 'orders'
  | 'returns'
  | 'payouts'
  | 'documents'
  | 'document-content'
  | 'listings-read'
  | 'listings-update';

const reads: OperationLimits = { perAccount: { points: 10, seconds: 1 }, perApplication: { points: 200, seconds: 1 } };
const writes: OperationLimits = { perAccount: { points: 5, seconds: 1 }, perApplication: { points: 100, seconds: 1 } };
const tokens: OperationLimits = { perAccount: { points: 2, seconds: 1 }, perApplication: { points: 50, seconds: 1 } };

function limitsFor(overrides: Partial<Record<MarketplaceOperation, OperationLimits>> = {}) {
  return {
    token: tokens,
    profile: reads,
    orders: reads,
    returns: reads,
    payouts: reads,
    documents: reads,
    'document-content': reads,
    'listings-read': reads,
    'listings-update': writes,
    ...overrides,
  } satisfies Record<MarketplaceOperation, OperationLimits>;
}

export const RATE_LIMITS: Record<Marketplace, Record<MarketplaceOperation, OperationLimits>> = {
  ajio: limitsFor(),
  meesho: limitsFor(),
  flipkart: limitsFor(),
  // SP-API's getOrders grants a burst of 20, then about 1 request a minute per seller. We allow 20 a
  // minute: the burst, and what Amazon grants after it comes from its `x-amzn-RateLimit-Limit` header,
  // which lowers this bucket (adaptive-limits.ts); a 429 it still answers is waited out in the attempt.
  amazon: limitsFor({
    orders: { perAccount: { points: 20, seconds: 60 }, perApplication: { points: 100, seconds: 1 } },
    'listings-update': { perAccount: { points: 5, seconds: 1 }, perApplication: { points: 50, seconds: 1 } },
  }),
};
