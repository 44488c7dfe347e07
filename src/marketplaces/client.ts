/**
 * One client shape for all four marketplaces: the reads and listing updates the activities need.
 * What differs per marketplace (authentication, how listings are read and updated, batch sizes) is
 * given by the marketplace's module; everything else goes through the shared HTTP core.
 */
import { z } from 'zod';
import type { Marketplace } from '../contracts/marketplaces';
import {
  listingSchema,
  type ListingChange,
  type ListingState,
  type UpdateOutcome,
  READ_SCHEMAS,
  type ReadItem,
  type ReadResource,
} from '../contracts/marketplace-records';
import type { Authenticator, Headers } from './access-tokens';
import { isFailureOfType, malformedFailure } from './errors';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import type { MarketplaceCall, MarketplaceHttp } from './http';

/** How one marketplace reads and updates listings; `call` adds authentication. */
export interface ListingsApi {
  read(call: AuthedCall, accountId: string, skus: readonly string[]): Promise<ListingState[]>;
  /** `changes` fit in one update of this marketplace (limits.ts). */
  update(call: AuthedCall, accountId: string, changes: readonly ListingChange[], key: string): Promise<UpdateOutcome>;
}

/**
 * The query parameter a resource's cursor is sent as. Orders are read by their last change
 * (`updatedSince`), so a status change to an order placed long ago (a cancellation, a return) is read
 * again; the other resources never change once created and are read by creation (`since`).
 */
const CURSOR_PARAMETER: Record<ReadResource, 'since' | 'updatedSince'> = {
  orders: 'updatedSince',
  returns: 'since',
  payouts: 'since',
  documents: 'since',
};

export type AuthedCall = <T>(call: MarketplaceCall, schema: z.ZodType<T>) => Promise<T>;

export class MarketplaceClient {
  constructor(
    private readonly http: MarketplaceHttp,
    private readonly auth: Authenticator,
    private readonly listings: ListingsApi,
  ) {}

  get marketplace(): Marketplace {
    return this.http.marketplace;
  }

  /** The cheapest authenticated call: proves the stored credentials work. */
  async verify(accountId: string): Promise<void> {
    await this.call(
      { operation: 'profile', accountId, method: 'GET', path: '/seller/profile' },
      z.object({ sellerId: z.string() }),
    );
  }

  /**
   * Every page of a resource created (orders: changed) since `since` (inclusive), page by page, each
   * with the token of the page after it (null after the last). `from`: the token of a page an
   * earlier read got to, to resume there rather than at the first page.
   */
  async *pages<R extends ReadResource>(
    accountId: string,
    resource: R,
    since: Date,
    from?: string,
  ): AsyncGenerator<{ items: ReadItem<R>[]; nextPageToken: string | null }> {
    const schema = z.object({
      items: z.array(READ_SCHEMAS[resource]),
      nextPageToken: z.string().min(1).nullable().optional(),
    });
    let pageToken: string | null | undefined = from;
    do {
      const query = new URLSearchParams({
        [CURSOR_PARAMETER[resource]]: since.toISOString(),
        ...(pageToken ? { pageToken } : {}),
      });
      const page: z.infer<typeof schema> = await this.call(
        { operation: resource, accountId, method: 'GET', path: `/${resource}?${query}` },
        schema,
      );
      const nextPageToken = page.nextPageToken ?? null;
      yield { items: page.items as ReadItem<R>[], nextPageToken };
      pageToken = nextPageToken;
    } while (pageToken);
  }

  /** A document's bytes as a stream; the caller hashes and stores it. */
  async documentContent(accountId: string, documentId: string): Promise<ReadableStream<Uint8Array>> {
    const call: MarketplaceCall = {
      operation: 'document-content',
      accountId,
      method: 'GET',
      path: `/documents/${encodeURIComponent(documentId)}/content`,
    };
    const response = await this.withAuth(call, (authed) => this.http.stream(authed));
    if (!response.body) throw new Error(`${this.marketplace} returned no body for document ${documentId}`);
    // A web page where the bytes should be (a sign-in or error page behind a 200) would be stored as
    // the document: refuse it, for a retry, instead.
    const type = response.headers.get('content-type') ?? '';
    if (/^text\/html\b/i.test(type)) {
      await response.body.cancel();
      const site = { marketplace: this.marketplace, operation: call.operation, accountId };
      throw malformedFailure(site, `document ${documentId} came as ${type}, not as its bytes`);
    }
    return response.body;
  }

  /**
   * Makes sure the account's credentials are at hand (a short-lived token obtained or found cached),
   * so that a call made while holding locks is one request, not a token request as well.
   */
  async authenticate(accountId: string): Promise<void> {
    await this.auth.headers(accountId);
  }

  readListings(accountId: string, skus: readonly string[]): Promise<ListingState[]> {
    return this.listings.read(this.call, accountId, skus);
  }

  updateListings(accountId: string, changes: readonly ListingChange[], key: string): Promise<UpdateOutcome> {
    return this.listings.update(this.call, accountId, changes, key);
  }

  private readonly call: AuthedCall = (call, schema) => this.withAuth(call, (authed) => this.http.json(authed, schema));

  private async withAuth<T>(call: MarketplaceCall, send: (call: MarketplaceCall) => Promise<T>): Promise<T> {
    const headers: Headers = await this.auth.headers(call.accountId);
    try {
      return await send({ ...call, headers: { ...call.headers, ...headers } });
    } catch (error) {
      if (isFailureOfType(error, MARKETPLACE_FAILURES.tokenExpired)) this.auth.forget(call.accountId);
      throw error;
    }
  }
}

const batchResultSchema = z.object({
  results: z.array(z.object({ sku: z.string(), status: z.enum(['SUCCESS', 'FAILURE']), error: z.string().optional() })),
});

/**
 * Listing updates in batches whose HTTP 200 can hide per-SKU failures (Flipkart's, and AJIO's and
 * Meesho's in the same shape): every SKU's own status decides, and a SKU the answer leaves out counts
 * as failed.
 */
export function batchListingsApi(paths: { read: string; update: string }): ListingsApi {
  return {
    async read(call, accountId, skus) {
      const query = new URLSearchParams({ skus: skus.join(',') });
      const { items } = await call(
        { operation: 'listings-read', accountId, method: 'GET', path: `${paths.read}?${query}` },
        z.object({ items: z.array(listingSchema) }),
      );
      return items;
    },
    async update(call, accountId, changes, key) {
      const { results } = await call(
        {
          operation: 'listings-update',
          accountId,
          method: 'POST',
          path: paths.update,
          body: { items: changes },
          idempotencyKey: key,
        },
        batchResultSchema,
      );
      const bySku = new Map(results.map((result) => [result.sku, result]));
      const outcome: UpdateOutcome = { applied: [], failed: [] };
      for (const { sku } of changes) {
        const result = bySku.get(sku);
        if (result?.status === 'SUCCESS') outcome.applied.push(sku);
        else outcome.failed.push({ sku, error: result?.error ?? 'missing from the marketplace answer' });
      }
      return outcome;
    },
  };
}
