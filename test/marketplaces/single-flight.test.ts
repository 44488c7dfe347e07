/**
 * Token requests are single-flight per account per process: eight concurrent calls of an account
 * with no token yet make one token request (Amazon LWA, Flipkart client credentials), counted at the
 * simulator; AJIO and Meesho calls carry the stored token or key and make none.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ListingState } from '../../src/contracts/marketplace-records';
import { MARKETPLACES, type Marketplace } from '../../src/contracts/marketplaces';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';

let env: ActivityEnvironment;

beforeAll(async () => {
  env = await activityEnvironment();
});
afterAll(() => env?.close());

const TOKEN_REQUESTS: Record<Marketplace, number> = { amazon: 1, flipkart: 1, ajio: 0, meesho: 0 };

it.each(MARKETPLACES)('%s: 8 concurrent calls of a fresh account, each call its own activity', async (marketplace) => {
  const seller = await env.sellers.seedSeller({
    marketplace,
    listings: [{ skuId: `SF-${randomUUID().slice(0, 8)}`, externalId: 'SF-1', quantity: 3, pricePaise: 100 }],
  });
  const before = await env.sellers.sim.ledger({ sellerId: seller.accountId, operation: 'token' });

  const reads = await Promise.all(
    Array.from(
      { length: 8 },
      () =>
        new MockActivityEnvironment().run(env.activities.readListings, { ...seller, skus: ['SF-1'] }) as Promise<
          ListingState[]
        >,
    ),
  );

  expect(reads.map((listings) => listings.map((listing) => listing.quantity))).toEqual(Array(8).fill([3]));
  const after = await env.sellers.sim.ledger({ sellerId: seller.accountId, operation: 'token' });
  expect(after.length - before.length).toBe(TOKEN_REQUESTS[marketplace]);
});
