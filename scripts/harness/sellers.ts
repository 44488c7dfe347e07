/**
 * Sellers seeded consistently in PostgreSQL (account, sealed credentials, SKUs, listings) and in the
 * marketplace simulator, with secrets the history scans can recognise.
 * Shared by the tests, the demo seed (`npm run dev`) and the chaos run.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { Config } from '../../src/config';
import type { AccountSecrets } from '../../src/db/credentials';
import {
  SimulatorControl,
  type SimDocument,
  type SimListing,
  type SimOrder,
  type SimPayout,
  type SimReturn,
} from '../../simulator/src/control';
import type { Marketplace } from '../../src/contracts/marketplaces';
import { seedAccount, seedSellerRow } from './accounts';

/** Every seeded secret carries this marker, so a history scan can find any of them. */
export const SECRET_MARKER = 'SECRET-';
/** The simulator's issued tokens start `sim-<marketplace>-`. */
export const ISSUED_TOKEN = /sim-(ajio|amazon|flipkart|meesho)-/;

export interface ListingSeed {
  /** Our SKU id; the marketplace knows it as `externalId` (default: the same). */
  skuId: string;
  externalId?: string;
  /** What PostgreSQL says the listing should show. */
  quantity: number;
  pricePaise: number;
  status?: 'active' | 'inactive';
  /** What the marketplace shows now, if different. */
  atMarketplace?: Partial<Omit<SimListing, 'sku'>>;
}

export interface SellerSeed {
  marketplace: Marketplace;
  listings?: ListingSeed[];
  orders?: SimOrder[];
  returns?: SimReturn[];
  payouts?: SimPayout[];
  documents?: SimDocument[];
  /** The stored access token's expiry (AJIO); default six hours from now. */
  tokenExpiresAt?: Date;
  /** Starts the account id, so a data set's sellers can be found again (`demo-`). */
  idPrefix?: string;
  /** The whole account id, for data sets that must be the same on every run (chaos replays). */
  accountId?: string;
  /**
   * The seller the account belongs to, and who owns its listings' SKUs; default: a seller of its own
   * (named like the account). Accounts that list the same SKU must name the same seller.
   */
  sellerId?: string;
}

export interface Seller {
  accountId: string;
  sellerId: string;
  marketplace: Marketplace;
}

function secretsFor(marketplace: Marketplace, accountId: string): AccountSecrets {
  const secret = (what: string) => `${SECRET_MARKER}${what}-${accountId}-${randomUUID().slice(0, 8)}`;
  switch (marketplace) {
    case 'ajio':
      return { refreshToken: secret('refresh'), accessToken: secret('access') };
    case 'amazon':
      return { refreshToken: secret('lwa-refresh') };
    case 'flipkart':
      return { clientId: `client-${accountId}`, clientSecret: secret('client') };
    case 'meesho':
      return { apiKey: secret('apikey') };
  }
}

export class SellerSeeder {
  /** Every secret seeded so far. */
  readonly secrets: string[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly config: Config,
    /** Default: the stack's simulator (`SIMULATOR_URL`). */
    readonly sim = new SimulatorControl(),
  ) {}

  /** A seller in PostgreSQL (account, sealed credentials, SKUs, listings) and in the simulator. */
  async seedSeller(seed: SellerSeed): Promise<Seller> {
    const accountId = seed.accountId ?? `${seed.idPrefix ?? ''}${seed.marketplace}_${randomUUID().slice(0, 8)}`;
    const secrets = secretsFor(seed.marketplace, accountId);
    this.secrets.push(...Object.values(secrets).filter((v): v is string => typeof v === 'string'));
    const expiresAt = seed.tokenExpiresAt ?? new Date(Date.now() + 6 * 3_600_000);
    const sellerId = seed.sellerId ?? accountId;
    await seedAccount(this.pool, this.config, {
      id: accountId,
      sellerId,
      marketplace: seed.marketplace,
      secrets,
      tokenExpiresAt: expiresAt,
    });
    for (const listing of seed.listings ?? []) await this.seedListing(sellerId, accountId, listing);
    await this.sim.putSeller(seed.marketplace, accountId, {
      credentials: { ...secrets, accessTokenExpiresAt: expiresAt.toISOString() },
      listings: (seed.listings ?? []).map((listing) => ({
        sku: listing.externalId ?? listing.skuId,
        quantity: listing.quantity,
        pricePaise: listing.pricePaise,
        status: listing.status ?? 'active',
        ...listing.atMarketplace,
      })),
      orders: seed.orders,
      returns: seed.returns,
      payouts: seed.payouts,
      documents: seed.documents,
    });
    return { accountId, sellerId, marketplace: seed.marketplace };
  }

  /** A SKU of the seller's catalogue with its stock (created once; the seller too). */
  async seedSku(skuId: string, stock: number, sellerId: string): Promise<void> {
    await seedSellerRow(this.pool, sellerId);
    await this.pool.query(
      'INSERT INTO skus (id, seller_id, title, stock) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
      [skuId, sellerId, `Product ${skuId}`, stock],
    );
  }

  private async seedListing(sellerId: string, accountId: string, listing: ListingSeed): Promise<void> {
    await this.seedSku(listing.skuId, 1_000, sellerId);
    await this.pool.query(
      `INSERT INTO listings (seller_id, account_id, sku_id, external_id, quantity, price_paise, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        sellerId,
        accountId,
        listing.skuId,
        listing.externalId ?? listing.skuId,
        listing.quantity,
        listing.pricePaise,
        listing.status ?? 'active',
      ],
    );
  }
}
