/**
 * The demo data set `npm run dev` seeds: 20 sellers across the four marketplaces, each with SKUs and
 * listings (some out of date at the marketplace), orders, a return, payouts (one that does not match
 * its order) and a document in the simulator, and one schedule of every kind due now. The sellers of
 * an earlier demo are disabled first: the simulator keeps its sellers in memory only.
 */
import type { Pool } from 'pg';
import type { Config } from '../../src/config';
import { MARKETPLACES } from '../../src/contracts/marketplaces';
import { SCHEDULE_KINDS } from '../../src/contracts/envelope';
import { SellerSeeder, type Seller } from '../harness/sellers';

export const DEMO_SELLERS = 20;
const DEMO_PREFIX = 'demo-';
const HOUR = 3_600_000;

function demoSellerSeed(index: number, now: number) {
  const marketplace = MARKETPLACES[index % MARKETPLACES.length]!;
  const sku = (letter: string) => `DEMO-${index}-${letter}`;
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();
  return {
    idPrefix: DEMO_PREFIX,
    marketplace,
    // AJIO tokens that expire before the next 4-hourly revalidation: the token sweep refreshes them.
    tokenExpiresAt: new Date(now + 2 * HOUR),
    listings: [
      { skuId: sku('A'), quantity: 40, pricePaise: 49_900, atMarketplace: { quantity: 35 } },
      { skuId: sku('B'), quantity: 12, pricePaise: 129_900 },
    ],
    orders: [
      {
        orderId: `o-${index}-1`,
        status: 'delivered',
        totalPaise: 49_900,
        orderedAt: at(30),
        lines: [{ sku: sku('A'), quantity: 1 }],
      },
      {
        orderId: `o-${index}-2`,
        status: 'shipped',
        totalPaise: 259_800,
        orderedAt: at(5),
        lines: [{ sku: sku('B'), quantity: 2 }],
      },
    ],
    returns: [{ returnId: `r-${index}-1`, orderId: `o-${index}-1`, status: 'requested', createdAt: at(2) }],
    payouts: [
      { payoutId: `p-${index}-1`, orderId: `o-${index}-1`, amountPaise: 49_900, paidAt: at(20) },
      // Short by ₹10: reconciliation records an amount mismatch.
      { payoutId: `p-${index}-2`, orderId: `o-${index}-2`, amountPaise: 258_800, paidAt: at(1) },
    ],
    documents: [
      {
        documentId: `invoice-${index}-1`,
        kind: 'invoice',
        createdAt: at(3),
        content: Buffer.from(`demo invoice ${index}`).toString('base64'),
      },
    ],
  };
}

async function scheduleEverythingNow(pool: Pool, seller: Seller, dueAt: Date): Promise<void> {
  // Every kind's message names only its schedule (the `inventory` kind repairs drift: no payload).
  for (const kind of Object.keys(SCHEDULE_KINDS)) {
    await pool.query(
      `INSERT INTO schedules (account_id, kind, cadence, next_run_at, payload) VALUES ($1, $2, '1h', $3, '{}')`,
      [seller.accountId, kind, dueAt],
    );
  }
}

export async function seedDemo(pool: Pool, config: Config): Promise<Seller[]> {
  await pool.query(`UPDATE seller_accounts SET enabled = false WHERE id LIKE $1 AND enabled`, [`${DEMO_PREFIX}%`]);
  const seeder = new SellerSeeder(pool, config);
  const now = Date.now();
  const sellers: Seller[] = [];
  for (let index = 0; index < DEMO_SELLERS; index++) {
    const seller = await seeder.seedSeller(demoSellerSeed(index, now));
    await scheduleEverythingNow(pool, seller, new Date(now - 60_000));
    sellers.push(seller);
  }
  return sellers;
}
