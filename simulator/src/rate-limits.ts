/**
 * Rate limits a test sets on the simulator (`POST /_sim/limits`), as a marketplace enforces its own:
 * per bucket (operation × seller × application; the simulator serves one application). A request of
 * a limited bucket is answered with the bucket's rate in `x-amzn-RateLimit-Limit` (requests per
 * second), as SP-API does (unless the limit says `header: false`); one over the rate gets `429` with
 * `Retry-After` and a body naming its bucket and rate. Without a limit set, nothing is limited and no
 * header is sent.
 */
import { RuleList } from './rule-list';
import { SIM_MARKETPLACES, SIM_OPERATIONS, type SimMarketplace, type SimOperation, type SimRateLimit } from './control';
import { type Answer, InputError, isNonEmptyString, isRecord, json } from './http';

export const RATE_LIMIT_HEADER = 'x-amzn-ratelimit-limit';
/** The application every request is taken to come from. */
export const SIM_APPLICATION = 'sim-application';

interface LimitRule extends SimRateLimit {
  id: string;
}

export interface LimitTarget {
  marketplace: SimMarketplace;
  sellerId: string;
  operation: SimOperation;
}

export interface LimitVerdict {
  headers: Record<string, string>;
  /** The 429 when the request is over its bucket's rate. */
  refusal?: Answer;
}

const FIELD_CHECKS: Record<keyof SimRateLimit, (value: unknown) => boolean> = {
  marketplace: (value) => SIM_MARKETPLACES.includes(value as SimMarketplace),
  sellerId: isNonEmptyString,
  operation: (value) => SIM_OPERATIONS.includes(value as SimOperation),
  rate: (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0.01 && value <= 10_000,
  header: (value) => typeof value === 'boolean',
};

function checkLimit(input: unknown): SimRateLimit {
  if (!isRecord(input)) throw new InputError('a rate limit must be a JSON object');
  if (input.rate === undefined) throw new InputError('rate is required');
  for (const [field, value] of Object.entries(input)) {
    const check = FIELD_CHECKS[field as keyof SimRateLimit];
    if (!check) throw new InputError(`unknown field ${field}`);
    if (!check(value)) throw new InputError(`${field} is invalid`);
  }
  return input as unknown as SimRateLimit;
}

const matches = (rule: LimitRule, target: LimitTarget) =>
  (rule.marketplace === undefined || rule.marketplace === target.marketplace) &&
  (rule.sellerId === undefined || rule.sellerId === target.sellerId) &&
  (rule.operation === undefined || rule.operation === target.operation);

/** A rate as a window and the requests it admits: 2/s → 2 a second; 0.5/s → 1 every 2 s. */
const windowOf = (rate: number) =>
  rate >= 1 ? { ms: 1000, points: Math.floor(rate) } : { ms: 1000 / rate, points: 1 };

export class RateLimits extends RuleList<SimRateLimit> {
  /** When each bucket's admitted requests came, within their window. */
  private readonly admitted = new Map<string, number[]>();

  constructor() {
    super(checkLimit);
  }

  /** The request's verdict under the latest matching limit; `undefined` when none applies. */
  check(target: LimitTarget, now = Date.now()): LimitVerdict | undefined {
    const rule = this.rules.findLast((candidate) => matches(candidate, target));
    if (!rule) return undefined;
    const headers: Record<string, string> = rule.header === false ? {} : { [RATE_LIMIT_HEADER]: String(rule.rate) };
    const bucket = `${target.marketplace}:${target.operation}:${target.sellerId}`;
    const window = windowOf(rule.rate);
    const recent = (this.admitted.get(bucket) ?? []).filter((at) => at > now - window.ms);
    this.admitted.set(bucket, recent);
    if (recent.length < window.points) {
      recent.push(now);
      return { headers };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + window.ms - now) / 1000));
    const body = {
      error: 'rate limited',
      bucket: { operation: target.operation, sellerId: target.sellerId, application: SIM_APPLICATION },
      rate: rule.rate,
    };
    return { headers, refusal: json(429, body, { ...headers, 'retry-after': String(retryAfterSeconds) }) };
  }
}
