/**
 * Flipkart Seller API: OAuth client credentials per seller for a short-lived bearer token; listing
 * updates of up to 10 SKUs whose HTTP 200 can hide per-SKU failures (client.ts reads each SKU).
 */
import { cachedAccessToken, missingSecret, tokenRequestKey, tokenResponseSchema } from './access-tokens';
import { batchListingsApi, MarketplaceClient } from './client';
import type { ClientDeps } from './client-deps';
import { MarketplaceHttp } from './http';

export function createFlipkart(deps: ClientDeps): MarketplaceClient {
  const http = new MarketplaceHttp({ marketplace: 'flipkart', ...deps });
  const auth = cachedAccessToken(
    async (accountId) => {
      const { clientId, clientSecret } = await deps.secrets(accountId);
      if (!clientId || !clientSecret) throw missingSecret(accountId, 'Flipkart client credentials');
      return http.json(
        {
          operation: 'token',
          accountId,
          method: 'POST',
          path: '/oauth/token',
          headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
          body: { grant_type: 'client_credentials' },
          idempotencyKey: tokenRequestKey('flipkart', accountId),
        },
        tokenResponseSchema,
      );
    },
    (token) => ({ authorization: `Bearer ${token}` }),
  );
  return new MarketplaceClient(http, auth, batchListingsApi({ read: '/listings', update: '/listings/v3/update' }));
}
