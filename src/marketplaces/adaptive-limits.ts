/**
 * What the marketplace tells us about its limits, kept per bucket (marketplace × operation × seller
 * account; the application is ours, one per deployment) in this process's memory:
 *
 * - a rate header (`x-amzn-RateLimit-Limit`, requests per second it grants this bucket) lower than
 *   our configured per-account rate lowers the bucket to it;
 * - a 429 whose body names its bucket (`{"bucket":{"operation","sellerId"},"rate"?}`) lowers that
 *   bucket to the rate it names, or to half of what we were allowed;
 * - a 429's `Retry-After` pauses the bucket: no call of it starts before then.
 *
 * A lowered rate holds for `ADAPTIVE_WINDOW_MS` after the marketplace last said it, then the
 * configured rate applies again. Each worker process learns from its own answers (every answer
 * carries the header, so all of them learn within a call).
 */
import type { Marketplace } from '../contracts/marketplaces';
import type { MarketplaceOperation, RateLimit } from './limits';

/** How long a lowered rate holds after the marketplace last said it. */
export const ADAPTIVE_WINDOW_MS = 60_000;

/** Never below one call every ten seconds: a bucket must keep probing to learn it recovered. */
const MIN_RATE_PER_SECOND = 0.1;

export interface Bucket {
  marketplace: Marketplace;
  operation: MarketplaceOperation;
  accountId: string;
}

interface BucketState {
  /** Requests per second the marketplace said, while `loweredUntil` is ahead. */
  rate?: number;
  loweredUntil: number;
  pausedUntil: number;
}

export const RATE_LIMIT_HEADER = 'x-amzn-ratelimit-limit';

const keyOf = (bucket: Bucket) => `${bucket.marketplace}:${bucket.operation}:${bucket.accountId}`;

const ratePerSecond = (limit: RateLimit) => limit.points / limit.seconds;

function positive(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : undefined;
}

/** The bucket a 429 body names (`bucket.operation`, `bucket.sellerId`) and the rate it gives, if any. */
export function bucketNamedBy(body: string): { operation?: string; sellerId?: string; rate?: number } | undefined {
  try {
    const parsed = JSON.parse(body) as { bucket?: { operation?: unknown; sellerId?: unknown }; rate?: unknown };
    if (typeof parsed?.bucket !== 'object' || parsed.bucket === null) return undefined;
    const { operation, sellerId } = parsed.bucket;
    return {
      operation: typeof operation === 'string' ? operation : undefined,
      sellerId: typeof sellerId === 'string' ? sellerId : undefined,
      rate: positive(parsed.rate),
    };
  } catch {
    return undefined;
  }
}

export class AdaptiveLimits {
  private readonly buckets = new Map<string, BucketState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The rate the bucket is held to now, when the marketplace lowered it below `configured`. */
  loweredRate(bucket: Bucket, configured: RateLimit): number | undefined {
    const state = this.buckets.get(keyOf(bucket));
    if (!state?.rate || state.loweredUntil <= this.now()) return undefined;
    return state.rate < ratePerSecond(configured) ? state.rate : undefined;
  }

  /** How long calls of the bucket must still wait after a 429's Retry-After. */
  pausedFor(bucket: Bucket): number {
    return Math.max(0, (this.buckets.get(keyOf(bucket))?.pausedUntil ?? 0) - this.now());
  }

  /** An answer's rate header: the rate the marketplace grants the bucket now. */
  granted(bucket: Bucket, header: string | null, configured: RateLimit): void {
    const rate = positive(header);
    if (rate === undefined || rate >= ratePerSecond(configured)) return;
    this.lower(bucket, rate);
  }

  /** A 429: pause the bucket for its Retry-After, and lower the bucket its body names. */
  rateLimited(bucket: Bucket, retryAfterMs: number | undefined, body: string, configured: RateLimit): void {
    const state = this.state(bucket);
    if (retryAfterMs !== undefined) state.pausedUntil = Math.max(state.pausedUntil, this.now() + retryAfterMs);
    const named = bucketNamedBy(body);
    if (!named) return;
    // The body speaks for the bucket it names; a name that is not this call's is not ours to guess.
    if (named.operation !== undefined && named.operation !== bucket.operation) return;
    if (named.sellerId !== undefined && named.sellerId !== bucket.accountId) return;
    const current = this.loweredRate(bucket, configured) ?? ratePerSecond(configured);
    this.lower(bucket, named.rate ?? current / 2);
  }

  private lower(bucket: Bucket, rate: number): void {
    const state = this.state(bucket);
    state.rate = Math.max(rate, MIN_RATE_PER_SECOND);
    state.loweredUntil = this.now() + ADAPTIVE_WINDOW_MS;
  }

  private state(bucket: Bucket): BucketState {
    const key = keyOf(bucket);
    let state = this.buckets.get(key);
    if (!state) {
      state = { loweredUntil: 0, pausedUntil: 0 };
      this.buckets.set(key, state);
    }
    return state;
  }
}
