/**
 * Client-side rate limits in Redis, so every worker process shares one budget: per seller account
 * and per application, per marketplace operation (limits.ts). A call waits for its turn when that is
 * near; otherwise it fails retryably with the wait as Temporal's next retry delay, so a busy worker
 * does not hold an activity slot asleep.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Marketplace } from '../contracts/marketplaces';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import { RATE_LIMITS, type MarketplaceOperation, type RateLimit } from './limits';

export interface RateLimiterOptions {
  redis: Redis;
  keyPrefix: string;
  /** Longest an activity waits in process for a turn before handing the wait to Temporal. */
  maxWaitMs?: number;
}

export class MarketplaceRateLimiter {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(private readonly options: RateLimiterOptions) {}

  async acquire(marketplace: Marketplace, operation: MarketplaceOperation, accountId: string): Promise<void> {
    const limits = RATE_LIMITS[marketplace][operation];
    const deadline = Date.now() + (this.options.maxWaitMs ?? 5_000);
    for (const [tier, limit, key] of [
      ['account', limits.perAccount, accountId],
      ['app', limits.perApplication, 'all'],
    ] as const) {
      await this.take(this.limiter(marketplace, operation, tier, limit), key, deadline, `${marketplace} ${operation}`);
    }
  }

  private async take(limiter: RateLimiterRedis, key: string, deadline: number, what: string): Promise<void> {
    for (;;) {
      try {
        await limiter.consume(key);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        if (Date.now() + rejection.msBeforeNext > deadline) {
          throw ApplicationFailure.create({
            message: `${what}: our own rate limit is exhausted for ${rejection.msBeforeNext} ms`,
            type: MARKETPLACE_FAILURES.rateLimited,
            nextRetryDelay: Math.max(rejection.msBeforeNext, 1),
          });
        }
        await sleep(rejection.msBeforeNext);
      }
    }
  }

  private limiter(marketplace: Marketplace, operation: string, tier: string, limit: RateLimit): RateLimiterRedis {
    const keyPrefix = `${this.options.keyPrefix}:rate:${marketplace}:${operation}:${tier}`;
    let limiter = this.limiters.get(keyPrefix);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.options.redis,
        keyPrefix,
        points: limit.points,
        duration: limit.seconds,
      });
      this.limiters.set(keyPrefix, limiter);
    }
    return limiter;
  }
}
