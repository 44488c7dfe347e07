/**
 * Limits that follow what the marketplace says, against a simulator of this file's own (in this
 * process: it has this checkout's rate limits, `POST /_sim/limits`). A listing-update bucket we may
 * call 5 times a second is limited by the marketplace to 1 a second:
 *
 * - said in a rate header (`x-amzn-RateLimit-Limit: 1`) on the first answer: our later calls keep to
 *   it, and not one is refused;
 * - said only in a 429 naming the bucket (a marketplace that sends no header): one call is refused,
 *   then the calls keep to the rate it names;
 * - once the marketplace stops saying it, after ADAPTIVE_WINDOW_MS (production's 60 s) our calls go at
 *   our own rate again: well over the lowered one.
 *
 * What is counted is the simulator's ledger (its 429s, its times), never our own records. The worker
 * settings are production's but for MARKETPLACE_RATE_LIMIT_PROCESSES=1: this file is the only process
 * calling, which is what the setting describes (with the default of 4 each call would be spaced four
 * times wider, and the counts the same).
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatorControl, type SimLedgerEntry, type SimRateLimit } from '../../simulator/src/control';
import { startSimulator, type RunningSimulator } from '../../simulator/src/server';
import { SellerSeeder, type Seller } from '../../scripts/harness/sellers';
import { MARKETPLACES } from '../../src/contracts/marketplaces';
import { ADAPTIVE_WINDOW_MS } from '../../src/marketplaces/adaptive-limits';
import { RATE_LIMITS } from '../../src/marketplaces/limits';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';

jest.setTimeout(180_000);

let simulator: RunningSimulator;
let env: ActivityEnvironment;
let sellers: SellerSeeder;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  env = await activityEnvironment({
    ...Object.fromEntries(MARKETPLACES.map((m) => [`MARKETPLACE_${m.toUpperCase()}_URL`, `${simulator.url}/${m}`])),
    MARKETPLACE_RATE_LIMIT_PROCESSES: '1',
  });
  sellers = new SellerSeeder(env.t.deps.pool, env.t.config, new SimulatorControl(simulator.url));
}, 120_000);
afterAll(async () => {
  await env?.close();
  await simulator?.close();
});

const CALLS = 8;
const LOWERED = 1;
const OURS = RATE_LIMITS.amazon['listings-update'].perAccount;

/** An attempt as the `marketplace` proxy schedules it: starting now, 5 minutes, heartbeating. */
const attempt = () =>
  new MockActivityEnvironment({
    startToCloseTimeoutMs: 5 * 60_000,
    heartbeatTimeoutMs: 60_000,
    currentAttemptScheduledTimestampMs: Date.now(),
  });

async function amazonSeller(): Promise<Seller> {
  return sellers.seedSeller({
    marketplace: 'amazon',
    listings: [{ skuId: `AD-${randomUUID().slice(0, 8)}`, externalId: 'AD-1', quantity: 1, pricePaise: 100 }],
  });
}

/** `CALLS` listing updates, one after another, each its own activity attempt; all must apply. */
async function updates(seller: Seller, round: string): Promise<SimLedgerEntry[]> {
  const keys = Array.from({ length: CALLS }, (_, i) => `adaptive:${seller.accountId}:${round}:${i}`);
  for (const [i, idempotencyKey] of keys.entries()) {
    const change = { ...seller, changes: [{ sku: 'AD-1', quantity: 10 + i }], idempotencyKey };
    await expect(attempt().run(env.activities.updateListings, change)).resolves.toEqual({
      applied: ['AD-1'],
      failed: [],
    });
  }
  const ledger = await sellers.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
  return ledger.filter((entry) => keys.includes(entry.idempotencyKey ?? ''));
}

const refused = (entries: SimLedgerEntry[]) => entries.filter((entry) => entry.status === 429).length;
const applied = (entries: SimLedgerEntry[]) => entries.filter((entry) => entry.outcome === 'applied');
/** Seconds from the first applied call to the last. */
const spanSeconds = (entries: SimLedgerEntry[]) => {
  const times = applied(entries).map((entry) => Date.parse(entry.at));
  return (Math.max(...times) - Math.min(...times)) / 1000;
};

const limit = (seller: Seller, more: Partial<SimRateLimit> = {}): SimRateLimit => ({
  sellerId: seller.accountId,
  operation: 'listings-update',
  rate: LOWERED,
  ...more,
});

it('keeps to the rate a header grants from the first answer on: no call refused', async () => {
  const seller = await amazonSeller();
  await sellers.sim.addRateLimit(limit(seller));

  const entries = await updates(seller, 'header');

  expect(applied(entries)).toHaveLength(CALLS);
  expect(refused(entries)).toBe(0);
});

it('keeps to the rate a 429 names for its bucket: one call refused, then none', async () => {
  const seller = await amazonSeller();
  await sellers.sim.addRateLimit(limit(seller, { header: false }));

  const entries = await updates(seller, 'body');

  expect(applied(entries)).toHaveLength(CALLS);
  expect(refused(entries)).toBe(1);
});

it('goes back to its own rate once the marketplace has not said the lower one for the window', async () => {
  const seller = await amazonSeller();
  const id = await sellers.sim.addRateLimit(limit(seller));
  const lowered = await updates(seller, 'lowered');
  await sellers.sim.removeRateLimit(id);

  await sleep(ADAPTIVE_WINDOW_MS + 1_000);
  const recovered = await updates(seller, 'recovered');

  expect(refused(lowered)).toBe(0);
  expect(refused(recovered)).toBe(0);
  // CALLS calls at the lowered rate need at least (CALLS - 1) / LOWERED seconds; at our own rate (5 a
  // second) they need about a fifth of that. "Recovered" is at least twice the lowered rate.
  expect(spanSeconds(lowered)).toBeGreaterThanOrEqual((CALLS - 1) / LOWERED);
  expect(spanSeconds(recovered)).toBeLessThan(spanSeconds(lowered) / 2);
  expect(OURS.points / OURS.seconds).toBeGreaterThan(2 * LOWERED);
});
