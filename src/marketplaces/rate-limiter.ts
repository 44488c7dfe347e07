/**
 * Client-side rate limits in Redis, so every worker process shares one budget: per seller account
 * and per application, per marketplace operation (limits.ts), and a bucket the marketplace lowered
 * (adaptive-limits.ts). A call waits in process for its turn (heartbeating, within the activity's
 * wait budget, call-wait.ts); a turn beyond the budget fails the call retryably, with the wait as
 * Temporal's next retry delay.
 *
 * When Redis is away the limits hold in memory instead (rate-limiter-flexible's insurance limiter):
 * each process then takes `1 / expectedProcesses` of every limit, so that many worker processes
 * together stay within it. A Redis error never fails the call.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { RedisConnection } from '../platform/redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Marketplace } from '../contracts/marketplaces';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import { AdaptiveLimits, type Bucket } from './adaptive-limits';
import type { WaitBudget } from './call-wait';
import { RATE_LIMITS, type MarketplaceOperation, type OperationLimits, type RateLimit } from './limits';

/** How many worker processes share the limits while Redis is away, unless configured (as the config's default). */
export const DEFAULT_EXPECTED_PROCESSES = 4;

export interface RateLimiterOptions {
  redis: RedisConnection;
  keyPrefix: string;
  /** Worker processes that call marketplaces (MARKETPLACE_RATE_LIMIT_PROCESSES): each one's share without Redis. */
  expectedProcesses?: number;
}

/**
 * Calls of a lowered bucket are spaced this much wider than the rate the marketplace said, so that
 * network jitter does not put two of them into one of its windows.
 */
const SPACING_MARGIN = 1.05;

/** The tier each account's own budget is kept under (the other is the application's, `all`). */
const ACCOUNT_TIER = 'account';

/** An account's bucket whose own limit is used up: no call of it starts before `until`. */
export interface Cooldown {
  accountId: string;
  marketplace: Marketplace;
  operation: MarketplaceOperation;
  used: number;
  points: number;
  until: Date;
}

const bucketKey = ({ marketplace, operation, accountId }: Bucket) => `${marketplace}:${operation}:${accountId}`;

export class MarketplaceRateLimiter {
  private readonly limiters = new Map<string, RateLimiterRedis>();
  readonly adaptive = new AdaptiveLimits();
  /** Per bucket, when this process's latest call starts, started or was answered, whichever is latest. */
  private readonly lastStart = new Map<string, number>();

  constructor(private readonly options: RateLimiterOptions) {}

  async acquire(bucket: Bucket, budget: WaitBudget): Promise<void> {
    const { marketplace, operation, accountId } = bucket;
    const limits = RATE_LIMITS[marketplace][operation];
    const what = `${marketplace} ${operation}`;
    await this.waitOrHandOver(this.adaptive.pausedFor(bucket), budget, `${what}: the marketplace asked us to wait`);
    const tiers: [string, RateLimit, string][] = [
      [ACCOUNT_TIER, limits.perAccount, accountId],
      ['app', limits.perApplication, 'all'],
    ];
    for (const [tier, limit, key] of tiers) {
      await this.take(this.limiter(marketplace, operation, tier, limit), key, budget, what);
    }
    await this.spaceLowered(bucket, budget, what);
  }

  /**
   * An answer came: what its rate header says, and when it came. The marketplace counted the call
   * before it answered, so spacing the next call from the answer (not from the send) keeps to its
   * rate however long the call took on the way.
   */
  answered(bucket: Bucket, rateHeader: string | null): void {
    const { marketplace, operation } = bucket;
    this.adaptive.granted(bucket, rateHeader, RATE_LIMITS[marketplace][operation].perAccount);
    const key = bucketKey(bucket);
    this.lastStart.set(key, Math.max(this.lastStart.get(key) ?? 0, Date.now()));
  }

  /**
   * The account's buckets whose own limit is used up now, read from Redis through the limiters the
   * calls take their turns from, without taking a point. A marketplace's `Retry-After` pause lives in
   * each worker's memory (adaptive-limits.ts) and cannot be seen from here.
   */
  async cooldowns(marketplace: Marketplace, accountId: string, now = Date.now()): Promise<Cooldown[]> {
    const cooling: Cooldown[] = [];
    for (const [operation, limits] of Object.entries(RATE_LIMITS[marketplace]) as [
      MarketplaceOperation,
      OperationLimits,
    ][]) {
      const limit = limits.perAccount;
      const state = await this.limiter(marketplace, operation, ACCOUNT_TIER, limit).get(accountId);
      if (!state || state.consumedPoints < limit.points) continue;
      cooling.push({
        accountId,
        marketplace,
        operation,
        used: state.consumedPoints,
        points: limit.points,
        until: new Date(now + state.msBeforeNext),
      });
    }
    return cooling;
  }

  /**
   * A bucket the marketplace lowered: this process's calls are spaced evenly at its share of the
   * said rate (1 / expectedProcesses of it, so the processes together keep to it), no bursts. Every
   * call's start (or answer, when later) is kept, so the first call after the lowering is spaced
   * from the one that said it.
   */
  private async spaceLowered(bucket: Bucket, budget: WaitBudget, what: string): Promise<void> {
    const { marketplace, operation } = bucket;
    const lowered = this.adaptive.loweredRate(bucket, RATE_LIMITS[marketplace][operation].perAccount);
    const key = bucketKey(bucket);
    const now = Date.now();
    const intervalMs = lowered === undefined ? 0 : (1000 * SPACING_MARGIN * this.share) / lowered;
    const slot = Math.max(now, (this.lastStart.get(key) ?? -Infinity) + intervalMs);
    // The slot is taken before waiting for it, so calls waiting together line up one interval apart.
    this.handOverBeyond(slot - now, budget, `${what}: the marketplace lowered its rate to ${lowered}/s`);
    this.lastStart.set(key, slot);
    if (slot > now) await budget.wait(slot - now);
  }

  private get share(): number {
    return this.options.expectedProcesses ?? DEFAULT_EXPECTED_PROCESSES;
  }

  private async take(limiter: RateLimiterRedis, key: string, budget: WaitBudget, what: string): Promise<void> {
    for (;;) {
      try {
        await limiter.consume(key);
        return;
      } catch (rejection) {
        // With the insurance limiter, a Redis error is answered from memory: anything else is a bug.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await this.waitOrHandOver(rejection.msBeforeNext, budget, `${what}: our own rate limit is exhausted`);
      }
    }
  }

  private async waitOrHandOver(ms: number, budget: WaitBudget, what: string): Promise<void> {
    if (ms <= 0) return;
    this.handOverBeyond(ms, budget, what);
    await budget.wait(ms);
  }

  /** A wait the budget cannot take fails the call retryably, the wait becoming Temporal's retry delay. */
  private handOverBeyond(ms: number, budget: WaitBudget, what: string): void {
    if (ms <= 0 || budget.allows(ms)) return;
    throw ApplicationFailure.create({
      message: `${what} for ${ms} ms`,
      type: MARKETPLACE_FAILURES.rateLimited,
      nextRetryDelay: Math.max(ms, 1),
    });
  }

  private limiter(marketplace: Marketplace, operation: MarketplaceOperation, tier: string, limit: RateLimit) {
    const keyPrefix = `${this.options.keyPrefix}:rate:${marketplace}:${operation}:${tier}`;
    let limiter = this.limiters.get(keyPrefix);
    if (!limiter) {
      const { share } = this;
      limiter = new RateLimiterRedis({
        storeClient: this.options.redis,
        keyPrefix,
        points: limit.points,
        duration: limit.seconds,
        // A Redis that is not connected is not waited for: the memory limit answers at once.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({
          keyPrefix,
          points: Math.max(1, Math.floor(limit.points / share)),
          duration: limit.seconds,
        }),
      });
      this.limiters.set(keyPrefix, limiter);
    }
    return limiter;
  }
}
