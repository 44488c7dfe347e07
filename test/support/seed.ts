import type { Pool } from 'pg';
import type { Config } from '../../src/config';
import { saveCredentials, type AccountSecrets } from '../../src/db/credentials';
import type { Marketplace } from '../../src/contracts/marketplaces';
import { requireKeyring } from '../../src/platform/keyring';

export { seedManyDueSchedules } from '../../scripts/seed/bulk-schedules';

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

export interface ScheduleSeed {
  accountId: string;
  kind: string;
  cadence?: string;
  nextRunAt: Date;
  enabled?: boolean;
}

export async function seedSchedule(pool: Pool, schedule: ScheduleSeed): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO schedules (account_id, kind, cadence, next_run_at, enabled) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [schedule.accountId, schedule.kind, schedule.cadence ?? '15m', schedule.nextRunAt, schedule.enabled ?? true],
  );
  return String(rows[0]!.id);
}
