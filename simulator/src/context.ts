/** What a marketplace route's steps see of one request. */
import type { SimMarketplace } from './control';
import type { Answer, ParsedBody } from './http';
import type { MarketplaceState } from './state';

export interface RequestContext {
  marketplace: SimMarketplace;
  state: MarketplaceState;
  /** Named segments of the route's path (`:sku` → `params.sku`). */
  params: Record<string, string>;
  query: URLSearchParams;
  header(name: string): string | undefined;
  body: ParsedBody;
}

/**
 * Who is calling. `sellerId` is '' when nobody could be identified; `error` is the answer that
 * ends the request when the credentials do not allow it (not cached under its Idempotency-Key:
 * the caller is expected to fix its credentials and retry with the same key).
 */
export interface Identity {
  sellerId: string;
  error?: Answer;
}
