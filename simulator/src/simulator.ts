/**
 * One simulator instance: its state and the order in which a marketplace request is handled.
 *
 *   identify the caller → fault rules → idempotency cache → credentials check → handler
 *
 * Faults come after identification so rules can be scoped to a seller; the cache comes before the
 * credentials check so that a retried AJIO token request (whose refresh token the lost first
 * attempt already rotated away) still gets the tokens it was issued.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { controlAnswer, type ControlTarget } from './control-routes';
import { SIM_MARKETPLACES, type SimLedgerEntry, type SimListingChange, type SimMarketplace } from './control';
import type { Identity, RequestContext } from './context';
import { faultAnswer, FaultRules, type FaultVerdict } from './faults';
import { seededRandom } from './random';
import {
  type Answer,
  failure,
  header,
  parseBody,
  readBody,
  writeAnswer,
  writeStalledAnswer,
  writeTrickledAnswer,
  writeTruncatedAnswer,
} from './http';
import { PROFILES } from './marketplaces';
import { type LimitVerdict, RateLimits } from './rate-limits';
import { findRoute, MUTATIONS, type Route, routesFor } from './routes';
import { IdempotencyCache, Ledger, MarketplaceState, ReadLog } from './state';

const perMarketplace = <T>(make: (marketplace: SimMarketplace) => T) =>
  Object.fromEntries(SIM_MARKETPLACES.map((marketplace) => [marketplace, make(marketplace)])) as Record<
    SimMarketplace,
    T
  >;

const isMarketplace = (value: string): value is SimMarketplace => SIM_MARKETPLACES.includes(value as SimMarketplace);

type AnswerWithOutcome = { answer: Answer; outcome: SimLedgerEntry['outcome'] };

/** A limited bucket's rate header on whatever the answer is (a cached answer is copied, not changed). */
function withRateHeaders(result: AnswerWithOutcome, limit: LimitVerdict | undefined): AnswerWithOutcome {
  if (!limit) return result;
  return { ...result, answer: { ...result.answer, headers: { ...result.answer.headers, ...limit.headers } } };
}

export class Simulator implements ControlTarget {
  readonly states = perMarketplace((marketplace) => new MarketplaceState(marketplace));
  readonly faults: FaultRules;
  readonly limits = new RateLimits();
  readonly ledger = new Ledger();
  readonly reads = new ReadLog();
  private readonly idempotency = new IdempotencyCache();
  private readonly routes = perMarketplace((marketplace) => routesFor(PROFILES[marketplace]));
  /** Cuts injected latencies short when the simulator stops. */
  private readonly stopping = new AbortController();

  /** `seed`: probabilistic faults draw a replayable sequence (chaos runs). */
  constructor({ seed }: { seed?: number } = {}) {
    this.faults = new FaultRules(seed === undefined ? Math.random : seededRandom(seed));
  }

  stop(): void {
    this.stopping.abort();
  }

  /** Never rejects: whatever goes wrong becomes a 500 (or a dropped connection while stopping). */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.dispatch(req, res);
    } catch (error) {
      // Stopping, or a client that hung up mid-request: nobody is left to answer.
      if (this.stopping.signal.aborted || req.destroyed) {
        res.destroy();
        return;
      }
      console.error('marketplace simulator: unexpected error', error);
      writeAnswer(res, failure(500, 'internal'));
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const bytes = await readBody(req);
    if (!bytes) return writeAnswer(res, failure(413, 'body too large'));
    const [, first = '', ...rest] = url.pathname.split('/');
    // The control API speaks JSON whatever the content type says (curl -d sends form encoding).
    const body = parseBody(bytes, first === '_sim' ? undefined : header(req, 'content-type'));
    const path = `/${rest.join('/')}`;
    if (first === '_sim') return writeAnswer(res, controlAnswer(this, req.method, path, url.searchParams, body));
    if (!isMarketplace(first)) return writeAnswer(res, failure(404, 'no such route'));
    const hit = findRoute(this.routes[first], req.method, path);
    if ('miss' in hit) return writeAnswer(res, hit.miss);
    const ctx: RequestContext = {
      marketplace: first,
      state: this.states[first],
      params: hit.params,
      query: url.searchParams,
      header: (name) => header(req, name),
      body,
    };
    await this.serveRoute(hit.route, ctx, req, res);
  }

  private async serveRoute(route: Route, ctx: RequestContext, req: IncomingMessage, res: ServerResponse) {
    const identity = route.identify(ctx);
    const mutation = MUTATIONS.has(route.operation);
    const key = mutation ? (ctx.header('idempotency-key') ?? null) : null;
    const verdict = await this.faults.evaluate(
      {
        marketplace: ctx.marketplace,
        sellerId: identity.sellerId,
        operation: route.operation,
        skus: route.skus?.(ctx) ?? [],
        idempotencyKey: key,
        skuFailures: route.skuFailures,
      },
      this.stopping.signal,
    );
    // A request an injected fault answers is not counted against its bucket's rate.
    const limit = verdict.decider
      ? undefined
      : this.limits.check({ marketplace: ctx.marketplace, sellerId: identity.sellerId, operation: route.operation });
    const applied: SimListingChange[] = [];
    const { answer, outcome } = withRateHeaders(this.answer(route, ctx, identity, key, verdict, applied, limit), limit);
    if (!mutation) {
      this.reads.record({
        marketplace: ctx.marketplace,
        sellerId: identity.sellerId,
        operation: route.operation,
        path: (req.url ?? '').slice(`/${ctx.marketplace}`.length),
        status: answer.status,
        outcome: outcome === 'applied' ? 'served' : outcome === 'fault' ? 'fault' : 'rejected',
      });
    } else {
      this.ledger.record({
        marketplace: ctx.marketplace,
        sellerId: identity.sellerId,
        operation: route.operation,
        idempotencyKey: key,
        request: route.ledgerRequest ? route.ledgerRequest(ctx) : ctx.body.ok ? (ctx.body.value ?? null) : null,
        outcome,
        status: answer.status,
        applied,
      });
    }
    // lose-response / truncate: the work is done (and cached), the caller never hears (all of) the answer;
    // trickle / stall: the answer comes slowly, or half of it and then nothing.
    const kind = verdict.decider?.kind;
    if (kind === 'lose-response') req.socket.destroy();
    else if (kind === 'truncate') writeTruncatedAnswer(res, answer);
    else if (kind === 'trickle') await writeTrickledAnswer(res, answer, verdict.decider!.ms!, this.stopping.signal);
    else if (kind === 'stall') writeStalledAnswer(res, answer);
    else writeAnswer(res, answer);
  }

  private answer(
    route: Route,
    ctx: RequestContext,
    identity: Identity,
    key: string | null,
    verdict: FaultVerdict,
    applied: SimListingChange[],
    limit: LimitVerdict | undefined,
  ): AnswerWithOutcome {
    // Injected answers (and rate-limit refusals) are not cached: a retry after a 503 or a 429 must apply.
    const injected = (verdict.decider && faultAnswer(verdict.decider)) || limit?.refusal;
    if (injected) return { answer: injected, outcome: 'fault' };
    const replay = key === null ? undefined : this.idempotency.get(ctx.marketplace, key);
    if (replay) return { answer: replay, outcome: 'replayed' };
    const seller = identity.error ? undefined : ctx.state.seller(identity.sellerId);
    if (!seller) {
      const rejection = identity.error ?? failure(401, route.operation === 'token' ? 'invalid_grant' : 'invalid_token');
      return { answer: rejection, outcome: 'rejected' };
    }
    const answer = route.handle(ctx, seller, verdict.failSkus, applied);
    if (key !== null) this.idempotency.put(ctx.marketplace, key, answer);
    return { answer, outcome: answer.status < 400 ? 'applied' : 'rejected' };
  }
}
