/**
 * Credentials and tokens at rest: AES-256-GCM, a fresh 96-bit nonce per seal, the account id bound in
 * as additional authenticated data (a sealed blob copied onto another account's row fails to open),
 * and the key id stored beside it so keys can rotate: open with the key that sealed, seal with the
 * active one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError, type Config } from '../config';

export type Keyring = NonNullable<Config['credentials']>;

export interface Sealed {
  keyId: string;
  /** nonce (12 bytes) | auth tag (16 bytes) | ciphertext */
  sealed: Buffer;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function requireKeyring(config: Config): Keyring {
  if (!config.credentials) {
    // A ConfigError like every other missing variable: exit status 2, not 1 as for a server down.
    throw new ConfigError('Configuration error: CREDENTIALS_KEYS is required (this role reads or writes credentials)');
  }
  return config.credentials;
}

function keyFor(keyring: Keyring, keyId: string): Buffer {
  const key = keyring.keys.get(keyId);
  if (!key) throw new Error(`credentials sealed with key "${keyId}", which is not in CREDENTIALS_KEYS`);
  if (key.length !== 32) throw new Error(`credentials key "${keyId}" is not 32 bytes`);
  return key;
}

export function sealSecret(keyring: Keyring, accountId: string, secret: unknown): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(keyring, keyring.activeKeyId), nonce);
  cipher.setAAD(Buffer.from(accountId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secret), 'utf8'), cipher.final()]);
  return { keyId: keyring.activeKeyId, sealed: Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]) };
}

export function openSecret<T>(keyring: Keyring, accountId: string, { keyId, sealed }: Sealed): T {
  const decipher = createDecipheriv('aes-256-gcm', keyFor(keyring, keyId), sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(accountId, 'utf8'));
  decipher.setAuthTag(sealed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
  try {
    const plaintext = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(plaintext.toString('utf8')) as T;
  } catch {
    // Never include the blob or any part of a secret in the error.
    throw new Error(`credentials of account ${accountId} failed authentication (wrong key, account or tampered data)`);
  }
}
