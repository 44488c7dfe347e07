/** Meesho: a per-seller API key on every call; listings update in batches of up to 50 SKUs. */
import { storedSecretHeader } from './access-tokens';
import { batchListingsApi, MarketplaceClient } from './client';
import type { ClientDeps } from './client-deps';
import { MarketplaceHttp } from './http';

export function createMeesho(deps: ClientDeps): MarketplaceClient {
  const auth = storedSecretHeader(
    deps.secrets,
    (stored) => stored.apiKey,
    'Meesho API key',
    (key) => ({ 'x-api-key': key }),
  );
  return new MarketplaceClient(
    new MarketplaceHttp({ marketplace: 'meesho', ...deps }),
    auth,
    batchListingsApi({ read: '/listings', update: '/listings/update' }),
  );
}
