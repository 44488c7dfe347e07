/**
 * What differs between the four marketplaces, as data: the authentication scheme and the listing
 * API's shape and batch limit. Everything else (routes, reads, faults, idempotency) is shared.
 */
import {
  accessTokenOnly,
  accessTokenOwner,
  apiKeyOwner,
  type AuthScheme,
  bearerToken,
  callerBy,
  clientCredentialsGrant,
  headerValue,
  refreshTokenGrant,
  rotatingRefreshToken,
} from './auth';
import type { SimMarketplace } from './control';

export type ListingApi =
  /** `GET <readPath>?skus=a,b` and `POST <updatePath>` with `{"items":[…]}`, at most `batchLimit` SKUs. */
  | { style: 'batch'; readPath: string; updatePath: string; batchLimit: number }
  /** One SKU per call: GET and PATCH on `<itemPath>`, which names the seller and the SKU. */
  | { style: 'item'; itemPath: string };

export interface MarketplaceProfile {
  marketplace: SimMarketplace;
  auth: AuthScheme;
  listings: ListingApi;
}

const AJIO_ACCESS_TOKEN_SECONDS = 6 * 3600;
const LWA_ACCESS_TOKEN_SECONDS = 3600;
const FLIPKART_ACCESS_TOKEN_SECONDS = 3600;

export const PROFILES: Record<SimMarketplace, MarketplaceProfile> = {
  ajio: {
    marketplace: 'ajio',
    auth: {
      identifyCall: callerBy(bearerToken, accessTokenOwner),
      token: {
        path: '/auth/token',
        identify: refreshTokenGrant({ requireClient: false }),
        issue: rotatingRefreshToken(AJIO_ACCESS_TOKEN_SECONDS),
      },
    },
    listings: { style: 'batch', readPath: '/listings', updatePath: '/listings/update', batchLimit: 50 },
  },
  amazon: {
    marketplace: 'amazon',
    auth: {
      identifyCall: callerBy(headerValue('x-amz-access-token'), accessTokenOwner),
      token: {
        path: '/auth/o2/token',
        identify: refreshTokenGrant({ requireClient: true }),
        issue: accessTokenOnly(LWA_ACCESS_TOKEN_SECONDS),
      },
    },
    listings: { style: 'item', itemPath: '/listings/2021-08-01/items/:sellerId/:sku' },
  },
  flipkart: {
    marketplace: 'flipkart',
    auth: {
      identifyCall: callerBy(bearerToken, accessTokenOwner),
      token: {
        path: '/oauth/token',
        identify: clientCredentialsGrant,
        issue: accessTokenOnly(FLIPKART_ACCESS_TOKEN_SECONDS),
      },
    },
    listings: { style: 'batch', readPath: '/listings', updatePath: '/listings/v3/update', batchLimit: 10 },
  },
  meesho: {
    marketplace: 'meesho',
    auth: { identifyCall: callerBy(headerValue('x-api-key'), apiKeyOwner) },
    listings: { style: 'batch', readPath: '/listings', updatePath: '/listings/update', batchLimit: 50 },
  },
};
