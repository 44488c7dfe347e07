/**
 * One route table for every marketplace, built from its profile: the token endpoint (if any), the
 * profile call, the paged reads, document content and the listing API in the marketplace's style.
 */
import type { AuthScheme, TokenEndpoint } from './auth';
import type { SimListingChange, SimOperation } from './control';
import type { Identity, RequestContext } from './context';
import { type Answer, failure, isRecord, json } from './http';
import { batchSkus, patchItem, readListings, skusParam, updateBatch } from './listings';
import type { ListingApi, MarketplaceProfile } from './marketplaces';
import { type Collection, readPage } from './reads';
import type { Seller, StoredDocument } from './state';

export interface Route {
  method: 'GET' | 'POST' | 'PATCH';
  /** Under `/<marketplace>`; `:name` segments become `ctx.params.name`. */
  path: string;
  operation: SimOperation;
  identify(ctx: RequestContext): Identity;
  /** The SKUs the request touches, for fault rules with a `sku` selector. */
  skus?(ctx: RequestContext): string[];
  /** How a SKU-scoped `fail-hard` shows (see FaultTarget). */
  skuFailures?: 'batch' | 'single';
  /** What the ledger keeps of a mutation (before redaction); the body when unset. */
  ledgerRequest?(ctx: RequestContext): unknown;
  /**
   * Runs for an identified caller whose request was not answered by a fault or the idempotency
   * cache. A listing update adds to `applied` each change it applies (for the ledger).
   */
  handle(ctx: RequestContext, seller: Seller, failSkus: Set<string>, applied: SimListingChange[]): Answer;
}

/** Operations that change state: they carry Idempotency-Keys and go into the ledger. */
export const MUTATIONS: ReadonlySet<SimOperation> = new Set(['token', 'listings-update']);

const orders: Collection<Seller['orders'][number]> = {
  items: (seller) => seller.orders,
  dateOf: (order) => order.orderedAt,
  wire: (order) => order,
  changes: { updatedAt: (order) => order.updatedAt, idOf: (order) => order.orderId },
};
const returns: Collection<Seller['returns'][number]> = {
  items: (seller) => seller.returns,
  dateOf: (ret) => ret.createdAt,
  wire: (ret) => ret,
};
const payouts: Collection<Seller['payouts'][number]> = {
  items: (seller) => seller.payouts,
  dateOf: (payout) => payout.paidAt,
  wire: (payout) => payout,
};
const documents: Collection<StoredDocument> = {
  items: (seller) => seller.documents,
  dateOf: (document) => document.createdAt,
  wire: ({ content, ...document }) => ({ ...document, sizeBytes: content.length }),
};

function pagedRead<T>(operation: SimOperation, collection: Collection<T>, auth: AuthScheme): Route {
  return {
    method: 'GET',
    path: `/${operation}`,
    operation,
    identify: auth.identifyCall,
    handle: (ctx, seller) => readPage(collection, seller, ctx.query),
  };
}

function tokenRoute(endpoint: TokenEndpoint): Route {
  return {
    method: 'POST',
    path: endpoint.path,
    operation: 'token',
    identify: endpoint.identify,
    handle: (ctx, seller) => endpoint.issue(ctx, seller.id),
  };
}

function documentContent(ctx: RequestContext, seller: Seller): Answer {
  const document = seller.documents.find((candidate) => candidate.documentId === ctx.params.documentId);
  if (!document) return failure(404, 'not found');
  return { status: 200, raw: { bytes: document.content, contentType: 'application/octet-stream' } };
}

/** Amazon names the seller in the path as well: a token of another seller gets 403. */
function ownPath(identify: Route['identify']): Route['identify'] {
  return (ctx) => {
    const identity = identify(ctx);
    if (identity.error || identity.sellerId === ctx.params.sellerId) return identity;
    return { sellerId: identity.sellerId, error: failure(403, 'forbidden') };
  };
}

function listingRoutes(api: ListingApi, auth: AuthScheme): Route[] {
  if (api.style === 'batch') {
    return [
      {
        method: 'GET',
        path: api.readPath,
        operation: 'listings-read',
        identify: auth.identifyCall,
        skus: (ctx) => skusParam(ctx.query),
        handle: (ctx, seller) => readListings(seller, skusParam(ctx.query)),
      },
      {
        method: 'POST',
        path: api.updatePath,
        operation: 'listings-update',
        identify: auth.identifyCall,
        skus: (ctx) => batchSkus(ctx.body),
        skuFailures: 'batch',
        handle: (ctx, seller, failSkus, applied) => updateBatch(seller, ctx.body, api.batchLimit, failSkus, applied),
      },
    ];
  }
  const identify = ownPath(auth.identifyCall);
  const pathSku = (ctx: RequestContext) => [ctx.params.sku ?? ''];
  return [
    {
      method: 'GET',
      path: api.itemPath,
      operation: 'listings-read',
      identify,
      skus: pathSku,
      handle: (ctx, seller) => {
        const listing = seller.listings.get(ctx.params.sku ?? '');
        return listing ? json(200, listing) : failure(404, 'not found');
      },
    },
    {
      method: 'PATCH',
      path: api.itemPath,
      operation: 'listings-update',
      identify,
      skus: pathSku,
      skuFailures: 'single',
      // The body does not name the SKU; the ledger would be hard to read without it.
      ledgerRequest: (ctx) => ({
        sku: ctx.params.sku,
        ...(ctx.body.ok && isRecord(ctx.body.value) ? ctx.body.value : {}),
      }),
      handle: (ctx, seller, failSkus, applied) => patchItem(seller, ctx.params.sku ?? '', ctx.body, failSkus, applied),
    },
  ];
}

export function routesFor({ auth, listings }: MarketplaceProfile): Route[] {
  return [
    ...(auth.token ? [tokenRoute(auth.token)] : []),
    {
      method: 'GET',
      path: '/seller/profile',
      operation: 'profile',
      identify: auth.identifyCall,
      handle: (_ctx, seller) => json(200, { sellerId: seller.id }),
    },
    pagedRead('orders', orders, auth),
    pagedRead('returns', returns, auth),
    pagedRead('payouts', payouts, auth),
    pagedRead('documents', documents, auth),
    {
      method: 'GET',
      path: '/documents/:documentId/content',
      operation: 'document-content',
      identify: auth.identifyCall,
      handle: documentContent,
    },
    ...listingRoutes(listings, auth),
  ];
}

/** The route's path parameters when `path` fits its pattern. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const expected = pattern.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of expected.entries()) {
    const value = actual[index] ?? '';
    if (segment.startsWith(':')) {
      if (value === '') return undefined;
      try {
        params[segment.slice(1)] = decodeURIComponent(value);
      } catch {
        return undefined; // a malformed %-escape cannot name anything we hold
      }
    } else if (segment !== value) {
      return undefined;
    }
  }
  return params;
}

/** The route for this method and path, or the 404 / 405 that answers when there is none. */
export function findRoute<R extends { method: string; path: string }>(
  routes: readonly R[],
  method: string | undefined,
  path: string,
): { route: R; params: Record<string, string> } | { miss: Answer } {
  const matching = routes.flatMap((route) => {
    const params = matchPath(route.path, path);
    return params ? [{ route, params }] : [];
  });
  const hit = matching.find(({ route }) => route.method === method);
  if (hit) return hit;
  return { miss: matching.length ? failure(405, 'method not allowed') : failure(404, 'no such route') };
}
