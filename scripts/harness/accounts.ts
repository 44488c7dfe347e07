/** A seller account with its sealed credentials, as the service stores it: for tests, demos and chaos runs. */
import type { Pool } from 'pg';
import type { Config } from '../../src/config';
import { saveCredentials, type AccountSecrets } from '../../src/db/credentials';
import type { Marketplace } from '../../src/contracts/marketplaces';
import { requireKeyring } from '../../src/platform/keyring';

export interface AccountSeed {
  id: string;
  marketplace: Marketplace;
  enabled?: boolean;
  status?: 'active' | 'needs_reauth' | 'suspended';
  /** false: no credentials row at all. */
  credentials?: boolean;
  tokenExpiresAt?: Date | null;
  /** Default: an AJIO-style refresh and access token. */
  secrets?: AccountSecrets;
}

export async function seedAccount(pool: Pool, config: Config, account: AccountSeed): Promise<void> {
  await pool.query(
    'INSERT INTO seller_accounts (id, marketplace, display_name, enabled, status) VALUES ($1, $2, $3, $4, $5)',
    [account.id, account.marketplace, `Seller ${account.id}`, account.enabled ?? true, account.status ?? 'active'],
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
