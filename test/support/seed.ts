import type { Pool } from 'pg';
import type { Config } from '../../src/config';
import { saveCredentials } from '../../src/db/credentials';
import type { Marketplace } from '../../src/queues/inventory';
import { requireKeyring } from '../../src/security/credentials';

export interface AccountSeed {
  id: string;
  marketplace: Marketplace;
  enabled?: boolean;
  status?: 'active' | 'needs_reauth' | 'suspended';
  /** false: no credentials row at all. */
  credentials?: boolean;
  tokenExpiresAt?: Date | null;
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
    { refreshToken: `refresh-${account.id}-secret`, accessToken: `access-${account.id}-secret` },
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

/** Many due schedules in one statement: `count` rows over `accounts` accounts named `<prefix>-<n>`. */
export async function seedManyDueSchedules(
  pool: Pool,
  { prefix, accounts, count, dueAt }: { prefix: string; accounts: number; count: number; dueAt: Date },
): Promise<void> {
  await pool.query(
    `INSERT INTO seller_accounts (id, marketplace, display_name)
     SELECT $1 || '-' || n, (ARRAY['ajio','meesho','amazon','flipkart'])[1 + n % 4], 'Seller ' || n
       FROM generate_series(1, $2) AS n`,
    [prefix, accounts],
  );
  await pool.query(
    `INSERT INTO account_credentials (account_id, key_id, sealed)
     SELECT $1 || '-' || n, 'none', '\\x00'::bytea FROM generate_series(1, $2) AS n`,
    [prefix, accounts],
  );
  await pool.query(
    `INSERT INTO schedules (account_id, kind, cadence, next_run_at)
     SELECT $1 || '-' || (1 + n % $2),
            (ARRAY['account-sync','marketplace-push','returns','payouts'])[1 + (n / $2) % 4],
            '1h', $4
       FROM generate_series(0, $3 - 1) AS n`,
    [prefix, accounts, count, dueAt],
  );
}
