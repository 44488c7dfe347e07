/**
 * The simulator's own API under `/_sim`: seeding sellers, what happens to them while a test runs
 * (orders placed, statuses changed, returns, listings edited in the portal), fault rules, the
 * ledger, health. None of it goes through faults, credentials or the idempotency cache.
 */
import {
  SIM_MARKETPLACES,
  SIM_OPERATIONS,
  type SimLedgerFilter,
  type SimMarketplace,
  type SimOperation,
} from './control';
import type { FaultRules } from './faults';
import type { RateLimits } from './rate-limits';
import { type Answer, failure, InputError, json, type ParsedBody } from './http';
import { setListing } from './listings';
import { addReturn, placeOrder, setOrderStatus } from './orders';
import { findRoute } from './routes';
import { checkSeed } from './seed';
import type { Ledger, MarketplaceState, ReadLog, Seller } from './state';

export interface ControlTarget {
  states: Record<SimMarketplace, MarketplaceState>;
  faults: FaultRules;
  limits: RateLimits;
  ledger: Ledger;
  reads: ReadLog;
}

interface ControlRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: ParsedBody;
}

interface ControlRoute {
  method: string;
  path: string;
  handle(sim: ControlTarget, request: ControlRequest): Answer;
}

const isMarketplace = (value: unknown): value is SimMarketplace => SIM_MARKETPLACES.includes(value as SimMarketplace);

function marketplaceState(sim: ControlTarget, name: string | undefined): MarketplaceState {
  if (!isMarketplace(name)) throw new InputError(`unknown marketplace ${name}`);
  return sim.states[name];
}

/** A route on one existing seller (`:marketplace/:sellerId`); 404 when there is none. */
const onSeller =
  (handle: (seller: Seller, request: ControlRequest) => Answer): ControlRoute['handle'] =>
  (sim, request) => {
    const seller = marketplaceState(sim, request.params.marketplace).seller(request.params.sellerId ?? '');
    return seller ? handle(seller, request) : failure(404, 'no such seller');
  };

function jsonBody(body: ParsedBody): unknown {
  if (!body.ok) throw new InputError('body is not valid JSON');
  return body.value;
}

function ledgerFilter(query: URLSearchParams): SimLedgerFilter {
  const filter: SimLedgerFilter = {};
  const marketplace = query.get('marketplace') || undefined;
  const operation = query.get('operation') || undefined;
  if (marketplace !== undefined && !isMarketplace(marketplace)) throw new InputError('unknown marketplace');
  if (operation !== undefined && !SIM_OPERATIONS.includes(operation as SimOperation)) {
    throw new InputError('unknown operation');
  }
  if (marketplace) filter.marketplace = marketplace;
  if (operation) filter.operation = operation as SimOperation;
  filter.sellerId = query.get('sellerId') ?? undefined;
  filter.idempotencyKey = query.get('idempotencyKey') ?? undefined;
  return filter;
}

const CONTROL_ROUTES: ControlRoute[] = [
  { method: 'GET', path: '/health', handle: () => json(200, { ok: true }) },
  {
    method: 'PUT',
    path: '/sellers/:marketplace/:sellerId',
    handle: (sim, { params, body }) => {
      const state = marketplaceState(sim, params.marketplace);
      state.putSeller(params.sellerId ?? '', checkSeed(jsonBody(body)));
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: '/sellers/:marketplace/:sellerId',
    handle: (sim, { params }) => {
      const view = marketplaceState(sim, params.marketplace).view(params.sellerId ?? '');
      return view ? json(200, view) : failure(404, 'no such seller');
    },
  },
  {
    method: 'POST',
    path: '/sellers/:marketplace/:sellerId/orders',
    handle: onSeller((seller, { body }) => placeOrder(seller, jsonBody(body), Date.now())),
  },
  {
    method: 'POST',
    path: '/sellers/:marketplace/:sellerId/orders/:orderId/status',
    handle: onSeller((seller, { params, body }) =>
      setOrderStatus(seller, params.orderId ?? '', jsonBody(body), Date.now()),
    ),
  },
  {
    method: 'POST',
    path: '/sellers/:marketplace/:sellerId/returns',
    handle: onSeller((seller, { body }) => addReturn(seller, jsonBody(body), Date.now())),
  },
  {
    method: 'PATCH',
    path: '/sellers/:marketplace/:sellerId/listings/:sku',
    handle: onSeller((seller, { params, body }) => setListing(seller, params.sku ?? '', jsonBody(body))),
  },
  { method: 'POST', path: '/faults', handle: (sim, { body }) => json(201, { id: sim.faults.add(jsonBody(body)) }) },
  { method: 'GET', path: '/faults', handle: (sim) => json(200, { rules: sim.faults.list() }) },
  {
    method: 'DELETE',
    path: '/faults',
    handle: (sim, { query }) => {
      // Only per seller: test files share one simulator, and clearing everything would break the others.
      const sellerId = query.get('sellerId');
      if (!sellerId) throw new InputError('sellerId is required');
      return json(200, { removed: sim.faults.removeForSeller(sellerId) });
    },
  },
  {
    method: 'DELETE',
    path: '/faults/:id',
    handle: (sim, { params }) => json(200, { removed: sim.faults.remove(params.id ?? '') ? 1 : 0 }),
  },
  { method: 'POST', path: '/limits', handle: (sim, { body }) => json(201, { id: sim.limits.add(jsonBody(body)) }) },
  {
    method: 'DELETE',
    path: '/limits/:id',
    handle: (sim, { params }) => json(200, { removed: sim.limits.remove(params.id ?? '') ? 1 : 0 }),
  },
  {
    method: 'GET',
    path: '/ledger',
    handle: (sim, { query }) => json(200, { entries: sim.ledger.query(ledgerFilter(query)) }),
  },
  {
    method: 'GET',
    path: '/reads',
    handle: (sim, { query }) => json(200, { entries: sim.reads.query(ledgerFilter(query)) }),
  },
];

/** Answers a request whose path began with `/_sim`; `path` is the rest of it. */
export function controlAnswer(
  sim: ControlTarget,
  method: string | undefined,
  path: string,
  query: URLSearchParams,
  body: ParsedBody,
): Answer {
  const hit = findRoute(CONTROL_ROUTES, method, path);
  if ('miss' in hit) return hit.miss;
  try {
    return hit.route.handle(sim, { params: hit.params, query, body });
  } catch (error) {
    if (error instanceof InputError) return failure(400, error.message);
    throw error;
  }
}
