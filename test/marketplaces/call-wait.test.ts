/**
 * Waiting out a 429 inside an activity attempt (src/marketplaces/call-wait.ts), against the real
 * PostgreSQL, Redis and simulator: the wait heartbeats with the activity's own last details (a
 * checkpoint is not erased by it), and a cancelled activity stops waiting at once, sending nothing more.
 */
import { randomUUID } from 'node:crypto';
import { CancelledFailure, heartbeat } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Seller } from '../../scripts/harness/sellers';
import { rememberHeartbeats } from '../../src/marketplaces/call-wait';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';

let env: ActivityEnvironment;

beforeAll(async () => {
  env = await activityEnvironment();
});
afterAll(() => env?.close());

/**
 * An attempt as the `marketplace` proxy schedules it (starting now, 5 minutes, heartbeating), with
 * the activity interceptor the worker has.
 */
const attempt = () =>
  new MockActivityEnvironment(
    { startToCloseTimeoutMs: 5 * 60_000, heartbeatTimeoutMs: 60_000, currentAttemptScheduledTimestampMs: Date.now() },
    { interceptors: [rememberHeartbeats] },
  );

async function meeshoSeller(): Promise<Seller> {
  return env.sellers.seedSeller({
    marketplace: 'meesho',
    listings: [{ skuId: `CW-${randomUUID().slice(0, 8)}`, externalId: 'CW-1', quantity: 1, pricePaise: 100 }],
  });
}

const change = (seller: Seller, key: string) => ({
  ...seller,
  changes: [{ sku: 'CW-1', quantity: 5 }],
  idempotencyKey: `${key}:${seller.accountId}`,
});

it('heartbeats with the checkpoint the activity last heartbeated while it waits out a 429', async () => {
  const seller = await meeshoSeller();
  await env.sellers.sim.addFault({
    kind: 'rate-limit',
    retryAfterSeconds: 1,
    times: 2,
    sellerId: seller.accountId,
    operation: 'listings-update',
  });
  const run = attempt();
  const beats: unknown[] = [];
  run.on('heartbeat', (details: unknown) => beats.push(details));
  const checkpoint = { resource: 'orders', page: 3 };

  await run.run(async () => {
    heartbeat(checkpoint);
    return env.activities.updateListings(change(seller, 'checkpoint'));
  });

  // The activity's own beat, then the waits' (two 429s of 1 s): every one carries the checkpoint.
  expect(beats.length).toBeGreaterThanOrEqual(3);
  expect(beats).toEqual(beats.map(() => checkpoint));
});

it('stops waiting when the activity is cancelled, and sends nothing more', async () => {
  const seller = await meeshoSeller();
  await env.sellers.sim.addFault({
    kind: 'rate-limit',
    retryAfterSeconds: 60,
    times: 1,
    sellerId: seller.accountId,
    operation: 'listings-update',
  });
  const run = attempt();
  const waiting = run.run(env.activities.updateListings, change(seller, 'cancelled'));
  // Cancelled once the 429 is in: the call is then waiting out its 60 s.
  for (;;) {
    const ledger = await env.sellers.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
    if (ledger.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  run.cancel();

  await expect(waiting).rejects.toBeInstanceOf(CancelledFailure);
  const ledger = await env.sellers.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
  expect(ledger.map((entry) => entry.status)).toEqual([429]);
});
