import type { ClientBase } from 'pg';
import type { Marketplace } from '../contracts/marketplaces';
import type { Queryable } from './transaction';

export interface AccountForSweep {
  id: string;
  marketplace: Marketplace;
  status: string;
  hasCredentials: boolean;
  tokenExpiresAt: Date | null;
}

/** Enabled accounts of one marketplace after `afterId`, in id order (keyset pagination). */
export async function enabledAccountsPage(
  client: ClientBase,
  marketplace: Marketplace,
  afterId: string,
  limit: number,
): Promise<AccountForSweep[]> {
  const { rows } = await client.query(
    `SELECT a.id, a.marketplace, a.status, c.account_id IS NOT NULL AS has_credentials, c.token_expires_at
       FROM seller_accounts a
       LEFT JOIN account_credentials c ON c.account_id = a.id
      WHERE a.enabled AND a.marketplace = $1 AND a.id > $2
      ORDER BY a.id
      LIMIT $3`,
    [marketplace, afterId, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    marketplace: row.marketplace,
    status: row.status,
    hasCredentials: row.has_credentials,
    tokenExpiresAt: row.token_expires_at,
  }));
}

/** The marketplace refused the account's authorisation: sweeps skip it until a seller re-authorises. */
export async function markAccountNeedsReauth(db: Queryable, accountId: string): Promise<void> {
  await db.query(
    `UPDATE seller_accounts SET status = 'needs_reauth', updated_at = now() WHERE id = $1 AND status <> 'needs_reauth'`,
    [accountId],
  );
}

export interface AccountStanding {
  marketplace: Marketplace;
  enabled: boolean;
  /** `needs_reauth` once a marketplace refused its authorisation. */
  status: string;
}

/** An account's marketplace, whether it is enabled, and its status; undefined when there is no such account. */
export async function accountStanding(db: Queryable, accountId: string): Promise<AccountStanding | undefined> {
  const { rows } = await db.query<AccountStanding>(
    'SELECT marketplace, enabled, status FROM seller_accounts WHERE id = $1',
    [accountId],
  );
  return rows[0];
}

/**
 * Of these accounts, those that cannot be served now, and why: `unknown`, `disabled` or
 * `needs_reauth` (the states that park their work). Accounts that can be served are absent.
 */
export async function accountsThatCannotRun(
  db: Queryable,
  accountIds: readonly string[],
): Promise<Map<string, 'unknown' | 'disabled' | 'needs_reauth'>> {
  const { rows } = await db.query<{ id: string; enabled: boolean; status: string }>(
    'SELECT id, enabled, status FROM seller_accounts WHERE id = ANY($1)',
    [accountIds],
  );
  const found = new Map(rows.map((row) => [row.id, row]));
  const unable = new Map<string, 'unknown' | 'disabled' | 'needs_reauth'>();
  for (const id of accountIds) {
    const account = found.get(id);
    if (!account) unable.set(id, 'unknown');
    else if (!account.enabled) unable.set(id, 'disabled');
    else if (account.status === 'needs_reauth') unable.set(id, 'needs_reauth');
  }
  return unable;
}

export interface SellerAccount {
  id: string;
  marketplace: Marketplace;
  displayName: string;
  enabled: boolean;
  /** `needs_reauth` once a marketplace refused its authorisation. */
  status: string;
}

export interface SellerWithAccounts {
  /** Whether the id asked for was the seller's own or one of its accounts'. */
  matched: 'seller' | 'account';
  seller: { id: string; displayName: string };
  accounts: SellerAccount[];
}

/**
 * The seller an id names, directly or through one of its accounts, with all its accounts (id order);
 * undefined when the id is neither. A seller's own id wins: an account may be named like its seller.
 */
export async function sellerWithAccounts(db: Queryable, id: string): Promise<SellerWithAccounts | undefined> {
  const { rows } = await db.query(
    `WITH target AS (
       SELECT id AS seller_id, 'seller' AS matched, 0 AS rank FROM sellers WHERE id = $1
       UNION ALL
       SELECT seller_id, 'account', 1 FROM seller_accounts WHERE id = $1
       ORDER BY rank LIMIT 1)
     SELECT t.matched, s.id AS seller_id, s.display_name AS seller_name,
            a.id, a.marketplace, a.display_name, a.enabled, a.status
       FROM target t
       JOIN sellers s ON s.id = t.seller_id
       LEFT JOIN seller_accounts a ON a.seller_id = s.id
      ORDER BY a.id`,
    [id],
  );
  const first = rows[0];
  if (!first) return undefined;
  return {
    matched: first.matched,
    seller: { id: first.seller_id, displayName: first.seller_name },
    accounts: rows
      .filter((row) => row.id !== null)
      .map((row) => ({
        id: row.id,
        marketplace: row.marketplace,
        displayName: row.display_name,
        enabled: row.enabled,
        status: row.status,
      })),
  };
}
