import { randomBytes } from 'node:crypto';
import { loadCredentials, saveCredentials } from '../../src/db/credentials';
import { openSecret, sealSecret, type Keyring } from '../../src/platform/keyring';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { seedAccount } from '../../scripts/harness/accounts';

const keyring = (activeKeyId: string, keys: Record<string, Buffer>): Keyring => ({
  activeKeyId,
  keys: new Map(Object.entries(keys)),
});
const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const secret = { refreshToken: 'rt-very-secret-value', clientSecret: 'cs-very-secret-value' };

describe('credentials at rest (AES-256-GCM)', () => {
  it('opens what it sealed, for the same account only', () => {
    const ring = keyring('k1', { k1: oldKey });
    const sealed = sealSecret(ring, 'seller-1', secret);
    expect(sealed.keyId).toBe('k1');
    expect(sealed.sealed.toString('latin1')).not.toContain('very-secret');
    expect(openSecret(ring, 'seller-1', sealed)).toEqual(secret);
    expect(() => openSecret(ring, 'seller-2', sealed)).toThrow('credentials of account seller-2 failed authentication');
  });

  it('detects tampering and never puts the secret in the error', () => {
    const ring = keyring('k1', { k1: oldKey });
    const sealed = sealSecret(ring, 'seller-1', secret);
    sealed.sealed[sealed.sealed.length - 1]! ^= 0x01;
    let message = '';
    try {
      openSecret(ring, 'seller-1', sealed);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('failed authentication');
    expect(message).not.toContain('very-secret');
  });

  it('opens with the key that sealed after the active key rotates, and seals with the new one', () => {
    const before = sealSecret(keyring('k1', { k1: oldKey }), 'seller-1', secret);
    const rotated = keyring('k2', { k1: oldKey, k2: newKey });
    expect(openSecret(rotated, 'seller-1', before)).toEqual(secret);
    expect(sealSecret(rotated, 'seller-1', secret).keyId).toBe('k2');
    expect(() => openSecret(keyring('k2', { k2: newKey }), 'seller-1', before)).toThrow(
      'key "k1", which is not in CREDENTIALS_KEYS',
    );
  });
});

describe('the credentials table', () => {
  let t: IsolatedEnvironment;
  beforeAll(async () => {
    t = await isolatedEnvironment();
  });
  afterAll(() => t?.cleanup());

  it('stores only ciphertext and the key id, and loads the secrets back', async () => {
    await seedAccount(t.deps.pool, t.config, { id: 'seller-9', marketplace: 'amazon', credentials: false });
    const expires = new Date('2026-11-22T12:00:00Z');
    await saveCredentials(t.deps.pool, t.config.credentials!, 'seller-9', secret, expires);

    const { rows } = await t.deps.pool.query("SELECT key_id, encode(sealed, 'escape') AS raw FROM account_credentials");
    expect(rows[0].key_id).toBe(t.config.credentials!.activeKeyId);
    expect(rows[0].raw).not.toContain('very-secret');
    const dump = await t.deps.pool.query('SELECT row_to_json(c)::text AS row FROM account_credentials c');
    expect(dump.rows[0].row).not.toContain('very-secret');

    expect(await loadCredentials(t.deps.pool, t.config.credentials!, 'seller-9')).toEqual({
      secrets: secret,
      tokenExpiresAt: expires,
      tokenRefreshedAt: null,
      // The first write of the row: what a token refresh's compare-and-set checks.
      version: '0',
    });
    expect(await loadCredentials(t.deps.pool, t.config.credentials!, 'nobody')).toBeUndefined();
  });
});
