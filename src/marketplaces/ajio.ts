/**
 * AJIO: calls carry the POB access token stored with the account. The token is renewed only by the
 * token-refresh workflow (refreshAjioToken), because AJIO rotates the refresh token on every use:
 * two refreshes racing would leave one of them holding a dead refresh token.
 */
import { storedSecretHeader, tokenResponseSchema, type TokenResponse } from './access-tokens';
import { batchListingsApi, MarketplaceClient } from './client';
import type { ClientDeps } from './client-deps';
import { MarketplaceHttp } from './http';

export interface AjioTokens {
  /** Exchanges a refresh token for a new access and refresh token (the old refresh token dies). */
  refresh(accountId: string, refreshToken: string, idempotencyKey: string): Promise<TokenResponse>;
}

export function createAjio(deps: ClientDeps): { client: MarketplaceClient; tokens: AjioTokens } {
  const http = new MarketplaceHttp({ marketplace: 'ajio', ...deps });
  const auth = storedSecretHeader(
    deps.secrets,
    (stored) => stored.accessToken,
    'AJIO access token',
    (token) => ({ authorization: `Bearer ${token}` }),
  );
  return {
    client: new MarketplaceClient(http, auth, batchListingsApi({ read: '/listings', update: '/listings/update' })),
    tokens: {
      refresh: (accountId, refreshToken, idempotencyKey) =>
        http.json(
          {
            operation: 'token',
            accountId,
            method: 'POST',
            path: '/auth/token',
            body: { grant_type: 'refresh_token', refresh_token: refreshToken },
            idempotencyKey,
          },
          tokenResponseSchema,
        ),
    },
  };
}
