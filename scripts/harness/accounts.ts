/** A seller account with its sealed credentials, as the service stores it: for tests, demos and chaos runs. */
import type { Pool } from 'pg';
import type { Config } from '../../src/config';
import { saveCredentials, type AccountSecrets } from '../../src/db/credentials';
import type { Marketplace } from '../../src/contracts/marketplaces';
import { requireKeyring } from '../../src/platform/keyring';

export interface AccountSeed {
  id: string;
  /** The seller (tenant) the account belongs to, created if new; default: a seller of its own, named like the account. */
  sellerId?: string;
  marketplace: Marketplace;
  enabled?: boolean;
  status?: 'active' | 'needs_reauth' | 'suspended';
  /** false: no credentials row at all. */
  credentials?: boolean;
  tokenExpiresAt?: Date | null;
  /** Default: an AJIO-style refresh and access token. */
  secrets?: AccountSecrets;
}

/** Creates the seller unless it exists. */
export async function seedSellerRow(pool: Pool, sellerId: string): Promise<void> {
  await pool.query('INSERT INTO sellers (id, display_name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
    sellerId,
    `Seller ${sellerId}`,
  ]);
}

export async function seedAccount(pool: Pool, config: Config, account: AccountSeed): Promise<void> {
  const sellerId = account.sellerId ?? account.id;
  await seedSellerRow(pool, sellerId);
  await pool.query(
    `INSERT INTO seller_accounts (id, seller_id, marketplace, display_name, enabled, status)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      account.id,
      sellerId,
      account.marketplace,
      `Account ${account.id}`,
      account.enabled ?? true,
      account.status ?? 'active',
    ],
  );
  if (account.credentials === false) return;
  await saveCredentials(
    pool,
    requireKeyring(config),
    account.id,
    account.secrets ?? { refreshToken: `refresh-${account.id}-secret`, accessToken: `access-${account.id}-secret` },
    account.tokenExpiresAt ?? null,
  );
}
