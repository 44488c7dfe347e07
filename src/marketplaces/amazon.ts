/**
 * Amazon SP-API: a Login-with-Amazon access token (1 h) from the seller's refresh token and our
 * application's LWA client, renewed early; Listings Items reads and PATCHes one SKU per call, so a
 * rejected SKU is a 400 for that SKU alone.
 */
import { z } from 'zod';
import { cachedAccessToken, missingSecret, tokenRequestKey, tokenResponseSchema } from './access-tokens';
import { MarketplaceClient, type ListingsApi } from './client';
import { listingSchema, type ListingChange, type UpdateOutcome } from '../contracts/marketplace-records';
import type { ClientDeps } from './client-deps';
import { httpStatusOf, isFailureOfType } from './errors';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import { MarketplaceHttp } from './http';

const PATCH_PATHS = { quantity: '/attributes/quantity', pricePaise: '/attributes/price', status: '/attributes/status' };

function patchesFor(change: ListingChange) {
  return (Object.keys(PATCH_PATHS) as (keyof typeof PATCH_PATHS)[])
    .filter((field) => change[field] !== undefined)
    .map((field) => ({ op: 'replace', path: PATCH_PATHS[field], value: change[field] }));
}

const itemPath = (accountId: string, sku: string) =>
  `/listings/2021-08-01/items/${encodeURIComponent(accountId)}/${encodeURIComponent(sku)}`;

const listingsItemsApi: ListingsApi = {
  /** Like the batch reads, the listings that exist: an unknown SKU (404) is left out. */
  async read(call, accountId, skus) {
    const listings = [];
    for (const sku of skus) {
      try {
        listings.push(
          await call(
            { operation: 'listings-read', accountId, method: 'GET', path: itemPath(accountId, sku) },
            listingSchema,
          ),
        );
      } catch (error) {
        if (httpStatusOf(error) !== 404) throw error;
      }
    }
    return listings;
  },
  async update(call, accountId, changes, key) {
    const outcome: UpdateOutcome = { applied: [], failed: [] };
    for (const change of changes) {
      try {
        await call(
          {
            operation: 'listings-update',
            accountId,
            method: 'PATCH',
            path: itemPath(accountId, change.sku),
            body: { patches: patchesFor(change) },
            idempotencyKey: changes.length === 1 ? key : `${key}:${change.sku}`,
          },
          z.object({ status: z.literal('ACCEPTED') }),
        );
        outcome.applied.push(change.sku);
      } catch (error) {
        if (!isFailureOfType(error, MARKETPLACE_FAILURES.validation)) throw error;
        outcome.failed.push({ sku: change.sku, error: (error as Error).message });
      }
    }
    return outcome;
  },
};

export function createAmazon(
  deps: ClientDeps & { lwa: { clientId: string; clientSecret: string } },
): MarketplaceClient {
  const http = new MarketplaceHttp({ marketplace: 'amazon', ...deps });
  const auth = cachedAccessToken(
    async (accountId) => {
      const { refreshToken } = await deps.secrets(accountId);
      if (!refreshToken) throw missingSecret(accountId, 'Amazon refresh token');
      return http.json(
        {
          operation: 'token',
          accountId,
          method: 'POST',
          path: '/auth/o2/token',
          body: {
            grant_type: 'refresh_token',
            refresh_token: refreshToken,
            client_id: deps.lwa.clientId,
            client_secret: deps.lwa.clientSecret,
          },
          idempotencyKey: tokenRequestKey('amazon', accountId),
        },
        tokenResponseSchema,
      );
    },
    (token) => ({ 'x-amz-access-token': token }),
  );
  return new MarketplaceClient(http, auth, listingsItemsApi);
}
