/**
 * The building blocks of the marketplaces' authentication schemes (docs/marketplaces.md): how a
 * call carries its credential, and how each kind of token endpoint identifies and answers its caller.
 */
import type { Identity, RequestContext } from './context';
import { type Answer, failure, isNonEmptyString, isRecord, json } from './http';
import type { MarketplaceState } from './state';

export interface TokenEndpoint {
  /** Path under `/<marketplace>`. */
  path: string;
  /** Whose grant this is (for fault selectors and the ledger) and whether it is valid. */
  identify(ctx: RequestContext): Identity;
  /** Issues the tokens of a valid grant. */
  issue(ctx: RequestContext, sellerId: string): Answer;
}

export interface AuthScheme {
  /** Who makes a data call, from the credential it carries. */
  identifyCall(ctx: RequestContext): Identity;
  token?: TokenEndpoint;
}

const invalidToken = failure(401, 'invalid_token');
const invalidGrant = failure(401, 'invalid_grant');

type CredentialReader = (ctx: RequestContext) => string | undefined;

export const bearerToken: CredentialReader = (ctx) =>
  /^Bearer\s+(\S+)\s*$/i.exec(ctx.header('authorization') ?? '')?.[1];
export const headerValue =
  (name: string): CredentialReader =>
  (ctx) =>
    ctx.header(name);

export const accessTokenOwner = (state: MarketplaceState, token: string) => state.accessTokenOwner(token);
export const apiKeyOwner = (state: MarketplaceState, key: string) => state.apiKeyOwner(key);

/** A data call's identity: an unknown or expired credential is `401 invalid_token`. */
export function callerBy(
  read: CredentialReader,
  owner: (state: MarketplaceState, credential: string) => string | undefined,
): AuthScheme['identifyCall'] {
  return (ctx) => {
    const credential = read(ctx);
    const sellerId = credential === undefined ? undefined : owner(ctx.state, credential);
    return sellerId === undefined ? { sellerId: '', error: invalidToken } : { sellerId };
  };
}

/**
 * The fields of a token request (query parameters, overridden by the body), or the 400 that a
 * body of the wrong shape or another grant type gets.
 */
function grantFields(ctx: RequestContext, grantType: string): { fields: Record<string, unknown> } | { error: Answer } {
  const body = ctx.body.ok ? (ctx.body.value ?? {}) : undefined;
  if (!isRecord(body)) return { error: failure(400, 'invalid_request') };
  const fields: Record<string, unknown> = { ...Object.fromEntries(ctx.query), ...body };
  return fields.grant_type === grantType ? { fields } : { error: failure(400, 'unsupported_grant_type') };
}

/** `grant_type=refresh_token`; LWA also wants a client id and secret (any values, here). */
export function refreshTokenGrant({ requireClient }: { requireClient: boolean }): TokenEndpoint['identify'] {
  return (ctx) => {
    const request = grantFields(ctx, 'refresh_token');
    if ('error' in request) return { sellerId: '', error: request.error };
    const { fields } = request;
    const owner = isNonEmptyString(fields.refresh_token)
      ? ctx.state.refreshTokenOwner(fields.refresh_token)
      : undefined;
    const sellerId = owner?.sellerId ?? '';
    if (requireClient && !(isNonEmptyString(fields.client_id) && isNonEmptyString(fields.client_secret))) {
      return { sellerId, error: failure(400, 'invalid_request') };
    }
    return owner?.valid ? { sellerId } : { sellerId, error: invalidGrant };
  };
}

/** `grant_type=client_credentials` with `Authorization: Basic base64(client_id:client_secret)`. */
export const clientCredentialsGrant: TokenEndpoint['identify'] = (ctx) => {
  const request = grantFields(ctx, 'client_credentials');
  if ('error' in request) return { sellerId: '', error: request.error };
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(ctx.header('authorization') ?? '')?.[1] ?? '';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const owner = colon > 0 ? ctx.state.clientOwner(decoded.slice(0, colon), decoded.slice(colon + 1)) : undefined;
  return owner?.valid ? { sellerId: owner.sellerId } : { sellerId: owner?.sellerId ?? '', error: invalidGrant };
};

/** A new access token only (Amazon's refresh tokens do not rotate; Flipkart has none). */
export function accessTokenOnly(ttlSeconds: number): TokenEndpoint['issue'] {
  return (ctx, sellerId) =>
    json(200, {
      access_token: ctx.state.issueAccessToken(sellerId, ttlSeconds),
      token_type: 'bearer',
      expires_in: ttlSeconds,
    });
}

/** AJIO: a new access token and a new refresh token; the presented refresh token stops working. */
export function rotatingRefreshToken(ttlSeconds: number): TokenEndpoint['issue'] {
  return (ctx, sellerId) =>
    json(200, {
      access_token: ctx.state.issueAccessToken(sellerId, ttlSeconds),
      refresh_token: ctx.state.rotateRefreshToken(sellerId),
      token_type: 'bearer',
      expires_in: ttlSeconds,
    });
}
