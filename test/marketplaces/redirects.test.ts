/**
 * Credentials stay at their origin: a marketplace answering a redirect (the simulator's `redirect`
 * fault) to another origin never gets the call sent on there. fetch, left to follow, would re-send
 * Meesho's `x-api-key`, Amazon's `x-amz-access-token` and a token request's whole body (the refresh
 * token, the LWA client secret) on a 307 or 308, stripping only `Authorization`. The other origin is
 * a server of this test's own that records every request it gets. Each call fails for good, naming
 * the status and where it pointed (its origin), and never a secret.
 *
 * This file runs a simulator of its own (this branch's code: the `redirect` fault is new), over the
 * activities built as the worker builds them.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { SimulatorControl, type SimOperation } from '../../simulator/src/control';
import { startSimulator, type RunningSimulator } from '../../simulator/src/server';
import { ISSUED_TOKEN, SellerSeeder, type Seller } from '../../scripts/harness/sellers';
import { MARKETPLACE_FAILURES } from '../../src/contracts/failures';
import { MARKETPLACES, type Marketplace } from '../../src/contracts/marketplaces';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';
import { startLocalOrigin, type LocalOrigin, type ReceivedRequest } from '../support/local-origin';

let simulator: RunningSimulator;
let env: ActivityEnvironment;
let sellers: SellerSeeder;
let sim: SimulatorControl;
let elsewhere: LocalOrigin;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  sim = new SimulatorControl(simulator.url);
  elsewhere = await startLocalOrigin();
  env = await activityEnvironment(
    Object.fromEntries(MARKETPLACES.map((m) => [`MARKETPLACE_${m.toUpperCase()}_URL`, `${simulator.url}/${m}`])),
  );
  sellers = new SellerSeeder(env.t.deps.pool, env.t.config, sim);
}, 120_000);
afterAll(async () => {
  await env?.close();
  await elsewhere?.close();
  await simulator?.close();
});

/** Every secret a call could carry: the sellers' seeded ones, the LWA client secret, issued tokens. */
function credentialsIn(request: ReceivedRequest): string[] {
  const headers = ['authorization', 'x-api-key', 'x-amz-access-token'].filter((name) => request.headers[name]);
  const text = `${JSON.stringify(request.headers)} ${request.body}`;
  const carried = [
    ...sellers.secrets.filter((secret) => text.includes(secret)).map(() => "a seller's secret"),
    ...(text.includes(env.t.config.marketplaces.amazonLwa!.clientSecret) ? ['the LWA client secret'] : []),
    ...(ISSUED_TOKEN.test(text) ? ['an issued token'] : []),
  ];
  return [...headers, ...carried];
}

async function seller(marketplace: Marketplace): Promise<Seller> {
  return sellers.seedSeller({
    marketplace,
    listings: [{ skuId: `RD-${randomUUID().slice(0, 8)}`, externalId: 'RD-1', quantity: 3, pricePaise: 100 }],
  });
}

/** How the activity ended: its error, or undefined when it succeeded. */
function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(
    () => undefined,
    (error: unknown) => error,
  );
}

const readListings = (account: Seller) => () =>
  new MockActivityEnvironment().run(env.activities.readListings, { ...account, skus: ['RD-1'] });

const refreshAjio = (account: Seller) => () =>
  new MockActivityEnvironment().run(env.activities.refreshAjioToken, {
    accountId: account.accountId,
    dueAt: new Date().toISOString(),
    idempotencyKey: `redirect-test-${randomUUID()}`,
  });

/** What each call's failure must say, and that it is final: the status and the target's origin. */
function expectRedirectFailure(error: unknown, account: Seller, operation: string, status: number) {
  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  expect(failure.type).toBe(MARKETPLACE_FAILURES.redirected);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(
    `${account.marketplace} ${operation} for ${account.accountId}: redirected (HTTP ${status}) to ${elsewhere.url}, not followed`,
  );
}

async function redirect(account: Seller, operation: SimOperation, status: number): Promise<void> {
  await sim.addFault({
    kind: 'redirect',
    marketplace: account.marketplace,
    sellerId: account.accountId,
    operation,
    status,
    location: `${elsewhere.url}/collect?from=${account.marketplace}`,
  });
}

beforeEach(() => {
  elsewhere.requests.length = 0;
});

describe('a call redirected to another origin is not followed: its credential header stays home', () => {
  it.each(MARKETPLACES.flatMap((marketplace) => [307, 308].map((status) => [marketplace, status] as const)))(
    '%s listings read answered %i',
    async (marketplace, status) => {
      const account = await seller(marketplace);
      await redirect(account, 'listings-read', status);

      const error = await errorOf(readListings(account));

      expect(elsewhere.requests.map(credentialsIn)).toEqual([]);
      expectRedirectFailure(error, account, 'listings-read', status);
    },
  );

  it.each([301, 302, 303])('meesho listings read answered %i', async (status) => {
    const account = await seller('meesho');
    await redirect(account, 'listings-read', status);

    const error = await errorOf(readListings(account));

    expect(elsewhere.requests.map(credentialsIn)).toEqual([]);
    expectRedirectFailure(error, account, 'listings-read', status);
  });
});

describe('a token request redirected to another origin is not followed: its body and secrets stay home', () => {
  it.each([307, 308])('Amazon LWA (refresh token and client secret in the body) answered %i', async (status) => {
    const account = await seller('amazon');
    await redirect(account, 'token', status);

    const error = await errorOf(readListings(account));

    expect(elsewhere.requests.map(credentialsIn)).toEqual([]);
    expectRedirectFailure(error, account, 'token', status);
  });

  it.each([307, 308])('Flipkart client credentials (Basic) answered %i', async (status) => {
    const account = await seller('flipkart');
    await redirect(account, 'token', status);

    const error = await errorOf(readListings(account));

    expect(elsewhere.requests.map(credentialsIn)).toEqual([]);
    expectRedirectFailure(error, account, 'token', status);
  });

  it.each([307, 308])('AJIO refresh (the rotating refresh token in the body) answered %i', async (status) => {
    const account = await seller('ajio');
    await redirect(account, 'token', status);

    const error = await errorOf(refreshAjio(account));

    expect(elsewhere.requests.map(credentialsIn)).toEqual([]);
    expectRedirectFailure(error, account, 'token', status);
    // The refresh token was not spent: the account's next refresh uses it and succeeds.
    await sim.clearFaults(account.accountId);
    await expect(refreshAjio(account)()).resolves.toEqual({ refreshed: true });
  });
});

it('a redirect within the marketplace is not followed either, and names its target as the same origin', async () => {
  const account = await seller('meesho');
  await sim.addFault({
    kind: 'redirect',
    sellerId: account.accountId,
    operation: 'listings-read',
    location: '/meesho/listings?skus=RD-1',
    times: 1,
  });

  const failure = await errorOf(readListings(account));

  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).message).toBe(
    `meesho listings-read for ${account.accountId}: redirected (HTTP 307) to ${simulator.url} (the same origin), not followed`,
  );
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  const reads = await sim.reads({ sellerId: account.accountId, operation: 'listings-read' });
  expect(reads.map((read) => read.status)).toEqual([307]);
});
