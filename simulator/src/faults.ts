/**
 * Fault rules: what a test injects with `POST /_sim/faults`, and how a request is matched against
 * them. Rules are tried in the order they were added.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SIM_FAULT_KINDS,
  SIM_MARKETPLACES,
  SIM_OPERATIONS,
  type SimFault,
  type SimMarketplace,
  type SimOperation,
} from './control';
import { RuleList } from './rule-list';
import { type Answer, failure, InputError, isNonEmptyString, isRecord, json } from './http';

export interface FaultRule extends SimFault {
  id: string;
}

/** What a request offers to the rules' selectors. */
export interface FaultTarget {
  marketplace: SimMarketplace;
  /** '' when the caller could not be identified: then only rules without `sellerId` match. */
  sellerId: string;
  operation: SimOperation;
  skus: string[];
  idempotencyKey: string | null;
  /**
   * How the operation can fail one SKU rather than the whole request: a batch update reports it in
   * that SKU's result, Amazon's single-SKU PATCH answers 400 INVALID.
   */
  skuFailures?: 'batch' | 'single';
}

export interface FaultVerdict {
  /** The rule that decides the answer (any kind but `latency` and SKU-scoped `fail-hard`). */
  decider?: FaultRule;
  /** SKUs a `fail-hard` rule makes fail inside an otherwise normal update. */
  failSkus: Set<string>;
}

const MAX_LATENCY_MS = 120_000;

const isOneOf =
  <T extends string>(values: readonly T[]) =>
  (value: unknown): value is T =>
    values.includes(value as T);
const isIntegerIn = (min: number, max: number) => (value: unknown) =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/** Each field's check; the rule is refused when a field that is present fails it. */
const FIELD_CHECKS: Record<keyof SimFault, (value: unknown) => boolean> = {
  kind: isOneOf(SIM_FAULT_KINDS),
  marketplace: isOneOf(SIM_MARKETPLACES),
  sellerId: isNonEmptyString,
  operation: isOneOf(SIM_OPERATIONS),
  sku: isNonEmptyString,
  keyContains: isNonEmptyString,
  times: isIntegerIn(1, Number.MAX_SAFE_INTEGER),
  probability: (value) => typeof value === 'number' && value >= 0 && value <= 1,
  ms: isIntegerIn(0, MAX_LATENCY_MS),
  status: isIntegerIn(100, 599),
  retryAfterSeconds: isIntegerIn(0, 86_400),
  body: (value) => typeof value === 'string',
  contentType: isNonEmptyString,
  location: isNonEmptyString,
};

export function checkFault(input: unknown): SimFault {
  if (!isRecord(input)) throw new InputError('a fault rule must be a JSON object');
  if (input.kind === undefined) throw new InputError('kind is required');
  for (const [field, value] of Object.entries(input)) {
    const check = FIELD_CHECKS[field as keyof SimFault];
    if (!check) throw new InputError(`unknown field ${field}`);
    if (value !== undefined && !check(value)) throw new InputError(`${field} is invalid`);
  }
  if ((input.kind === 'latency' || input.kind === 'trickle') && input.ms === undefined) {
    throw new InputError(`a ${input.kind} rule needs ms`);
  }
  if (input.kind === 'redirect') checkRedirect(input);
  return input as unknown as SimFault;
}

function checkRedirect(input: Record<string, unknown>): void {
  if (input.location === undefined) throw new InputError('a redirect rule needs location');
  const status = input.status as number | undefined;
  if (status !== undefined && (status < 300 || status > 399)) throw new InputError('a redirect status must be 3xx');
}

function matches(rule: FaultRule, target: FaultTarget): boolean {
  return (
    (rule.marketplace === undefined || rule.marketplace === target.marketplace) &&
    (rule.sellerId === undefined || rule.sellerId === target.sellerId) &&
    (rule.operation === undefined || rule.operation === target.operation) &&
    (rule.sku === undefined || target.skus.includes(rule.sku)) &&
    (rule.keyContains === undefined || (target.idempotencyKey?.includes(rule.keyContains) ?? false))
  );
}

export class FaultRules extends RuleList<SimFault> {
  /** `random` decides rules with a `probability`; seeded, a run's draws can be replayed. */
  constructor(private readonly random: () => number = Math.random) {
    super(checkFault);
  }

  removeForSeller(sellerId: string): number {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.sellerId !== sellerId);
    return before - this.rules.length;
  }

  list(): FaultRule[] {
    return [...this.rules];
  }

  /**
   * Fires the matching rules in order: latency waits and goes on, any rule but a SKU-scoped fail-hard
   * decides the answer and ends the evaluation. A SKU-scoped fail-hard marks its SKU, but only once
   * the request reaches the listings: a rule that answers first (a 503, a 429) leaves it, and its
   * `times`, for the request's retry, as a refusal the marketplace never got to make would.
   */
  async evaluate(target: FaultTarget, signal: AbortSignal): Promise<FaultVerdict> {
    const verdict: FaultVerdict = { failSkus: new Set() };
    const skuRules: FaultRule[] = [];
    for (const rule of [...this.rules]) {
      if (rule.kind === 'fail-hard' && target.skuFailures && (rule.sku || target.skuFailures === 'single')) {
        skuRules.push(rule);
        continue;
      }
      if (!this.fires(rule, target)) continue;
      if (rule.kind === 'latency') {
        await sleep(rule.ms ?? 0, undefined, { signal });
      } else {
        verdict.decider = rule;
        break;
      }
    }
    if (verdict.decider && faultAnswer(verdict.decider)) return verdict;
    for (const rule of skuRules.filter((candidate) => this.fires(candidate, target)))
      for (const sku of rule.sku ? [rule.sku] : target.skus) verdict.failSkus.add(sku);
    return verdict;
  }

  /** Whether the rule fires on this request; firing uses up one of its `times`. */
  private fires(rule: FaultRule, target: FaultTarget): boolean {
    // Another request may have used up the rule while this one waited on a latency rule.
    if (!this.rules.includes(rule) || !matches(rule, target)) return false;
    if (rule.probability !== undefined && this.random() >= rule.probability) return false;
    if (rule.times !== undefined && --rule.times === 0) this.remove(rule.id);
    return true;
  }
}

const MALFORMED_DEFAULT = { bytes: '{"truncated":', contentType: 'application/json' };

/**
 * The answer a deciding rule gives; `undefined` for `lose-response`, `truncate`, `trickle` and
 * `stall`, which let the request run and then spoil (or slow) its answer on the wire.
 */
export function faultAnswer(rule: FaultRule): Answer | undefined {
  switch (rule.kind) {
    case 'error':
      return failure(rule.status ?? 503, 'injected');
    case 'rate-limit': {
      const seconds = rule.retryAfterSeconds ?? 1;
      return json(429, { error: 'rate limited' }, { 'retry-after': String(seconds) });
    }
    case 'token-expired':
      return failure(401, 'invalid_token');
    case 'revoked':
      return failure(401, 'invalid_grant');
    case 'fail-hard':
      return failure(400, 'validation failed (injected)');
    case 'malformed':
      return {
        status: 200,
        raw: {
          bytes: rule.body ?? MALFORMED_DEFAULT.bytes,
          contentType: rule.contentType ?? MALFORMED_DEFAULT.contentType,
        },
      };
    case 'redirect':
      return json(rule.status ?? 307, { error: 'moved' }, { location: rule.location! });
    case 'lose-response':
    case 'truncate':
    case 'trickle':
    case 'stall':
    case 'latency':
      return undefined;
  }
}
