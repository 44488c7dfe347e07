import { openSecret, sealSecret, type Keyring } from '../platform/keyring';
import type { Queryable } from './transaction';

/** What a marketplace needs to act for a seller; only ever stored sealed. */
export interface AccountSecrets {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  accessToken?: string;
  apiKey?: string;
  /** The access token a refresh replaced, kept until the new one is verified (token flow saga). */
  previous?: { accessToken?: string; expiresAt: string | null };
}

export interface StoredCredentials {
  secrets: AccountSecrets;
  tokenExpiresAt: Date | null;
  tokenRefreshedAt: Date | null;
  /** Bumped by every write: what a compare-and-set (`replaceCredentialsIfUnchanged`) checks. */
  version: string;
}

/** `refreshedAt`: set when the token flow stores a token it just obtained; kept as it was otherwise. */
export async function saveCredentials(
  db: Queryable,
  keyring: Keyring,
  accountId: string,
  secrets: AccountSecrets,
  tokenExpiresAt: Date | null,
  refreshedAt?: Date,
): Promise<void> {
  const { keyId, sealed } = sealSecret(keyring, accountId, secrets);
  await db.query(
    `INSERT INTO account_credentials (account_id, key_id, sealed, token_expires_at, token_refreshed_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id) DO UPDATE
       SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed, token_expires_at = EXCLUDED.token_expires_at,
           token_refreshed_at = COALESCE(EXCLUDED.token_refreshed_at, account_credentials.token_refreshed_at),
           version = account_credentials.version + 1, updated_at = now()`,
    [accountId, keyId, sealed, tokenExpiresAt, refreshedAt ?? null],
  );
}

/**
 * Stores a refreshed token only if the row is still at `version` (as read before the marketplace
 * call): false when another write came in between, which then stands.
 */
export async function replaceCredentialsIfUnchanged(
  db: Queryable,
  keyring: Keyring,
  accountId: string,
  version: string,
  fresh: { secrets: AccountSecrets; tokenExpiresAt: Date; refreshedAt: Date },
): Promise<boolean> {
  const { keyId, sealed } = sealSecret(keyring, accountId, fresh.secrets);
  const { rowCount } = await db.query(
    `UPDATE account_credentials
        SET key_id = $3, sealed = $4, token_expires_at = $5, token_refreshed_at = $6,
            version = version + 1, updated_at = now()
      WHERE account_id = $1 AND version = $2`,
    [accountId, version, keyId, sealed, fresh.tokenExpiresAt, fresh.refreshedAt],
  );
  return rowCount === 1;
}

/**
 * Leases the account's token refresh to `leaseKey` for `leaseMs` (a short statement, no lock kept):
 * false while another refresh holds an unexpired lease. Taking it again under the same key (a retry
 * of the same attempt) succeeds.
 */
export async function leaseTokenRefresh(
  db: Queryable,
  accountId: string,
  leaseKey: string,
  leaseMs: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE account_credentials
        SET refresh_lease_key = $2, refresh_lease_until = now() + $3 * interval '1 millisecond'
      WHERE account_id = $1
        AND (refresh_lease_key IS NULL OR refresh_lease_key = $2 OR refresh_lease_until <= now())`,
    [accountId, leaseKey, leaseMs],
  );
  return rowCount === 1;
}

/** Ends the refresh's lease if it is still `leaseKey`'s (an expired one may have passed to another refresh). */
export async function endTokenRefreshLease(db: Queryable, accountId: string, leaseKey: string): Promise<void> {
  await db.query(
    `UPDATE account_credentials SET refresh_lease_key = NULL, refresh_lease_until = NULL
      WHERE account_id = $1 AND refresh_lease_key = $2`,
    [accountId, leaseKey],
  );
}

/** `lock`: inside a transaction, holds the row until it ends, so token changes never interleave. */
export async function loadCredentials(
  db: Queryable,
  keyring: Keyring,
  accountId: string,
  { lock = false } = {},
): Promise<StoredCredentials | undefined> {
  const { rows } = await db.query<{
    key_id: string;
    sealed: Buffer;
    token_expires_at: Date | null;
    token_refreshed_at: Date | null;
    version: string;
  }>(
    `SELECT key_id, sealed, token_expires_at, token_refreshed_at, version FROM account_credentials
      WHERE account_id = $1
     ${lock ? 'FOR UPDATE' : ''}`,
    [accountId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    secrets: openSecret<AccountSecrets>(keyring, accountId, { keyId: row.key_id, sealed: row.sealed }),
    tokenExpiresAt: row.token_expires_at,
    tokenRefreshedAt: row.token_refreshed_at,
    version: row.version,
  };
}

/** When the stored token expires and was last refreshed, without opening the sealed secrets. */
export async function tokenTimes(
  db: Queryable,
  accountId: string,
): Promise<{ tokenExpiresAt: Date | null; tokenRefreshedAt: Date | null } | undefined> {
  const { rows } = await db.query<{ token_expires_at: Date | null; token_refreshed_at: Date | null }>(
    'SELECT token_expires_at, token_refreshed_at FROM account_credentials WHERE account_id = $1',
    [accountId],
  );
  const row = rows[0];
  return row && { tokenExpiresAt: row.token_expires_at, tokenRefreshedAt: row.token_refreshed_at };
}
