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
           updated_at = now()`,
    [accountId, keyId, sealed, tokenExpiresAt, refreshedAt ?? null],
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
  }>(
    `SELECT key_id, sealed, token_expires_at, token_refreshed_at FROM account_credentials WHERE account_id = $1
     ${lock ? 'FOR UPDATE' : ''}`,
    [accountId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    secrets: openSecret<AccountSecrets>(keyring, accountId, { keyId: row.key_id, sealed: row.sealed }),
    tokenExpiresAt: row.token_expires_at,
    tokenRefreshedAt: row.token_refreshed_at,
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
