import type { Pool } from 'pg';
import { openSecret, sealSecret, type Keyring } from '../security/credentials';

/** What a marketplace needs to act for a seller; only ever stored sealed. */
export interface AccountSecrets {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  accessToken?: string;
  apiKey?: string;
}

export async function saveCredentials(
  pool: Pool,
  keyring: Keyring,
  accountId: string,
  secrets: AccountSecrets,
  tokenExpiresAt: Date | null,
): Promise<void> {
  const { keyId, sealed } = sealSecret(keyring, accountId, secrets);
  await pool.query(
    `INSERT INTO account_credentials (account_id, key_id, sealed, token_expires_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (account_id) DO UPDATE
       SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed,
           token_expires_at = EXCLUDED.token_expires_at, updated_at = now()`,
    [accountId, keyId, sealed, tokenExpiresAt],
  );
}

export async function loadCredentials(
  pool: Pool,
  keyring: Keyring,
  accountId: string,
): Promise<{ secrets: AccountSecrets; tokenExpiresAt: Date | null } | undefined> {
  const { rows } = await pool.query<{ key_id: string; sealed: Buffer; token_expires_at: Date | null }>(
    'SELECT key_id, sealed, token_expires_at FROM account_credentials WHERE account_id = $1',
    [accountId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    secrets: openSecret<AccountSecrets>(keyring, accountId, { keyId: row.key_id, sealed: row.sealed }),
    tokenExpiresAt: row.token_expires_at,
  };
}
