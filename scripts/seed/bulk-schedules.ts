import type { Pool } from 'pg';

const DEFAULT_KINDS = ['account-sync', 'marketplace-push', 'returns', 'payouts'];

/**
 * Many due schedules in a few statements, for tests and benchmarks: `count` schedules over
 * `accounts` accounts named `<prefix>-<n>` (each its own seller), spread over the four marketplaces and `kinds` (default:
 * four kinds). The credentials rows are placeholders (the sweeps only check that one exists; nothing
 * here opens them).
 */
export async function seedManyDueSchedules(
  pool: Pool,
  {
    prefix,
    accounts,
    count,
    dueAt,
    kinds = DEFAULT_KINDS,
  }: { prefix: string; accounts: number; count: number; dueAt: Date; kinds?: string[] },
): Promise<void> {
  await pool.query(
    `INSERT INTO sellers (id, display_name) SELECT $1 || '-' || n, 'Seller ' || n FROM generate_series(1, $2) AS n`,
    [prefix, accounts],
  );
  await pool.query(
    `INSERT INTO seller_accounts (id, seller_id, marketplace, display_name)
     SELECT $1 || '-' || n, $1 || '-' || n, (ARRAY['ajio','meesho','amazon','flipkart'])[1 + n % 4], 'Seller ' || n
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
            ($5::text[])[1 + (n / $2) % cardinality($5::text[])],
            '1h', $4
       FROM generate_series(0, $3 - 1) AS n`,
    [prefix, accounts, count, dueAt, kinds],
  );
}
