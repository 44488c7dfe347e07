/**
 * Retiring a credentials key (`npm run credentials -- reseal | status`): after rotating from key "a"
 * to key "b" and re-sealing, key "a" leaves the keyring and every marketplace's account still works
 * through the real clients against the simulator; a row no key opens is named and fails the command;
 * a row rewritten during the re-seal keeps the newer secrets.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { MARKETPLACES } from '../../src/contracts/marketplaces';
import { resealCredentials } from '../../src/db/credential-keys';
import { loadCredentials, replaceCredentialsIfUnchanged, saveCredentials } from '../../src/db/credentials';
import { requireKeyring, type Keyring } from '../../src/platform/keyring';
import { createServiceActivities } from '../../src/workers/temporal-worker';
import { seedAccount } from '../../scripts/harness/accounts';
import { SellerSeeder, type Seller } from '../../scripts/harness/sellers';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { runEntryPoint } from '../support/run-command';

const KEYS: Record<string, string> = {
  a: randomBytes(32).toString('base64'),
  b: randomBytes(32).toString('base64'),
  c: randomBytes(32).toString('base64'),
};

/** The keyring variables of a deployment holding `keyIds`, sealing with `active`. */
function keyringEnv(active: string, ...keyIds: string[]): NodeJS.ProcessEnv {
  return {
    CREDENTIALS_KEYS: keyIds.map((id) => `${id}:${KEYS[id]}`).join(','),
    CREDENTIALS_ACTIVE_KEY_ID: active,
  };
}

let t: IsolatedEnvironment;
const keyring = (active: string, ...keyIds: string[]): Keyring =>
  requireKeyring(loadConfig({ ...t.env, ...keyringEnv(active, ...keyIds) }));

async function credentialsCommand(env: NodeJS.ProcessEnv, ...args: string[]) {
  const result = await runEntryPoint('src/commands/credentials.ts', { args, env: { ...t.env, ...env } });
  return { ...result, json: () => JSON.parse(result.stdout) as Record<string, unknown> };
}

const keyIdOf = async (accountId: string) =>
  (
    await t.deps.pool.query<{ key_id: string }>('SELECT key_id FROM account_credentials WHERE account_id = $1', [
      accountId,
    ])
  ).rows[0]?.key_id;

/** An account of its own with credentials sealed by `sealWith` (no simulator seller: never called). */
async function accountSealedWith(sealWith: Keyring, secrets = { apiKey: `SECRET-${randomUUID()}` }) {
  const accountId = `meesho_${randomUUID().slice(0, 8)}`;
  await seedAccount(t.deps.pool, t.config, { id: accountId, marketplace: 'meesho', credentials: false });
  await saveCredentials(t.deps.pool, sealWith, accountId, secrets, null);
  return { accountId, secrets };
}

beforeAll(async () => {
  t = await isolatedEnvironment(keyringEnv('a', 'a'));
});
afterAll(() => t?.cleanup());

describe('npm run credentials -- reseal', () => {
  const sellers: { seller: Seller; sku: string; quantity: number }[] = [];

  beforeAll(async () => {
    const seeder = new SellerSeeder(t.deps.pool, t.config);
    for (const [i, marketplace] of MARKETPLACES.entries()) {
      const sku = `SKU-${randomUUID().slice(0, 8)}`;
      const quantity = 10 + i;
      const seller = await seeder.seedSeller({ marketplace, listings: [{ skuId: sku, quantity, pricePaise: 49_900 }] });
      sellers.push({ seller, sku, quantity });
    }
  });

  it('re-seals every account with the new key, after which the old key can go and every marketplace still answers', async () => {
    const rotated = await credentialsCommand(keyringEnv('b', 'a', 'b'), 'reseal', '--json');
    expect(rotated.code).toBe(0);
    expect(rotated.json()).toEqual({
      activeKeyId: 'b',
      total: 4,
      resealed: 4,
      alreadyActive: 0,
      changedMeanwhile: 0,
      failed: [],
    });

    const status = await credentialsCommand(keyringEnv('b', 'a', 'b'), 'status', '--json');
    expect(status.json()).toEqual({
      keys: [
        { keyId: 'a', accounts: 0, active: false, inKeyring: true },
        { keyId: 'b', accounts: 4, active: true, inKeyring: true },
      ],
      droppable: ['a'],
    });

    // Key "a" dropped: the worker's own activities, with a keyring that holds only "b".
    const service = createServiceActivities(loadConfig({ ...t.env, ...keyringEnv('b', 'b') }));
    try {
      for (const { seller, sku, quantity } of sellers) {
        const listings = await service.activities.readListings({
          accountId: seller.accountId,
          marketplace: seller.marketplace,
          skus: [sku],
        });
        expect({ marketplace: seller.marketplace, listings }).toEqual({
          marketplace: seller.marketplace,
          listings: [{ sku, quantity, pricePaise: 49_900, status: 'active' }],
        });
      }
    } finally {
      await service.close();
    }
  });

  it('re-seals nothing on a second run', async () => {
    const again = await credentialsCommand(keyringEnv('b', 'a', 'b'), 'reseal', '--json');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ total: 4, resealed: 0, alreadyActive: 4, changedMeanwhile: 0, failed: [] });
  });

  it('names each account no key opens, never its secret, re-seals the rest and exits non-zero', async () => {
    const lostKey = await accountSealedWith(keyring('c', 'c'));
    const tampered = await accountSealedWith(keyring('a', 'a'));
    await t.deps.pool.query(
      `UPDATE account_credentials
          SET sealed = set_byte(sealed, length(sealed) - 1, get_byte(sealed, length(sealed) - 1) # 1)
        WHERE account_id = $1`,
      [tampered.accountId],
    );
    const good = await accountSealedWith(keyring('a', 'a'));
    try {
      await expectUnopenableReported({ lostKey, tampered, good });
    } finally {
      // Gone again whatever the outcome, so the other tests' reports are theirs alone.
      await t.deps.pool.query('DELETE FROM account_credentials WHERE account_id = ANY($1)', [
        [lostKey.accountId, tampered.accountId],
      ]);
    }
  });
});

type SealedAccount = Awaited<ReturnType<typeof accountSealedWith>>;

async function expectUnopenableReported({
  lostKey,
  tampered,
  good,
}: Record<'lostKey' | 'tampered' | 'good', SealedAccount>): Promise<void> {
  const run = await credentialsCommand(keyringEnv('b', 'a', 'b'), 'reseal');
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('resealed: 1\n');
  expect(run.stdout).toContain('failed (no key opens them): 2\n');
  expect(run.stdout).toContain(
    `account ${lostKey.accountId}: credentials sealed with key "c", which is not in CREDENTIALS_KEYS`,
  );
  expect(run.stdout).toContain(`account ${tampered.accountId}: credentials of account ${tampered.accountId} failed`);
  for (const { secrets } of [lostKey, tampered, good]) expect(run.stdout + run.stderr).not.toContain(secrets.apiKey);

  expect(await keyIdOf(good.accountId)).toBe('b');
  expect(await loadCredentials(t.deps.pool, keyring('b', 'b'), good.accountId)).toMatchObject({
    secrets: good.secrets,
  });
  // The unopenable rows stay as they were, for a seller to re-authorise or for the lost key to be found,
  // and keep key "a" from looking droppable.
  expect(await keyIdOf(lostKey.accountId)).toBe('c');
  const status = await credentialsCommand(keyringEnv('b', 'a', 'b'), 'status', '--json');
  expect(status.json()).toEqual({
    keys: [
      { keyId: 'a', accounts: 1, active: false, inKeyring: true },
      { keyId: 'b', accounts: 5, active: true, inKeyring: true },
      { keyId: 'c', accounts: 1, active: false, inKeyring: false },
    ],
    droppable: [],
  });
  expect((await credentialsCommand(keyringEnv('b', 'a', 'b'), 'status')).stdout).toContain(
    'c  1 account(s)  NOT IN CREDENTIALS_KEYS',
  );
}

describe('resealCredentials against concurrent writes', () => {
  it('leaves a row rewritten between its read and its re-seal as rewritten; the next run re-seals it', async () => {
    const oldDeployment = keyring('a', 'a');
    const { accountId } = await accountSealedWith(oldDeployment);
    const newer = { apiKey: `SECRET-newer-${randomUUID()}` };

    // A writer (a deployment still sealing with "a") holds the row: the re-seal reads the old row,
    // and its compare-and-set waits for the writer's commit, then finds the version moved on.
    const writer = await t.deps.pool.connect();
    try {
      await writer.query('BEGIN');
      await saveCredentials(writer, oldDeployment, accountId, newer, null);
      const resealing = resealCredentials(t.deps.pool, keyring('b', 'a', 'b'));
      await waitForResealBlockedOnRowLock();
      await writer.query('COMMIT');
      expect(await resealing).toMatchObject({ changedMeanwhile: 1, failed: [] });
    } finally {
      writer.release();
    }
    expect(await keyIdOf(accountId)).toBe('a');
    expect((await loadCredentials(t.deps.pool, keyring('b', 'a', 'b'), accountId))?.secrets).toEqual(newer);

    expect(await resealCredentials(t.deps.pool, keyring('b', 'a', 'b'))).toMatchObject({
      resealed: 1,
      changedMeanwhile: 0,
    });
    expect(await keyIdOf(accountId)).toBe('b');
    expect((await loadCredentials(t.deps.pool, keyring('b', 'b'), accountId))?.secrets).toEqual(newer);
  });

  it('keeps the version, so a token refresh that read the row before the re-seal still stores its token', async () => {
    const { accountId } = await accountSealedWith(keyring('a', 'a'));
    const rotated = keyring('b', 'a', 'b');
    const readByRefresh = (await loadCredentials(t.deps.pool, rotated, accountId))!;

    await resealCredentials(t.deps.pool, rotated);
    expect(await keyIdOf(accountId)).toBe('b');

    const fresh = { secrets: { apiKey: 'SECRET-refreshed' }, tokenExpiresAt: new Date(), refreshedAt: new Date() };
    expect(await replaceCredentialsIfUnchanged(t.deps.pool, rotated, accountId, readByRefresh.version, fresh)).toBe(
      true,
    );
    expect((await loadCredentials(t.deps.pool, keyring('b', 'b'), accountId))?.secrets).toEqual(fresh.secrets);
  });

  it('walks every row when there are more than one batch (batch size 2 here, 100 in production: the same paging)', async () => {
    const accounts = await Promise.all(Array.from({ length: 5 }, () => accountSealedWith(keyring('a', 'a'))));
    const report = await resealCredentials(t.deps.pool, keyring('b', 'a', 'b'), { batchSize: 2 });
    expect(report).toMatchObject({ resealed: accounts.length, changedMeanwhile: 0, failed: [] });
    for (const { accountId, secrets } of accounts) {
      expect(await keyIdOf(accountId)).toBe('b');
      expect((await loadCredentials(t.deps.pool, keyring('b', 'b'), accountId))?.secrets).toEqual(secrets);
    }
  });
});

/** Until a statement of this database waits on a row lock while re-sealing credentials. */
async function waitForResealBlockedOnRowLock(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await t.deps.pool.query(
      `SELECT 1 FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'
          AND query LIKE 'UPDATE account_credentials SET key_id%'`,
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the re-seal never waited on the row the writer holds');
}
