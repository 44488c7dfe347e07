/**
 * The migration that gives stock an owner (migrations/1763856000006_sellers-and-stock.sql) moves
 * today's data forward: accounts that share a SKU (through a listing, an order line or a
 * reservation) become one seller, every other account a seller of its own, and each SKU, listing and
 * order line belongs to its accounts' seller. A SKU no account ever touched stops the migration with
 * its name, and nothing is lost. Run through the real `npm run db:migrate` entry point.
 */
import { Client } from 'pg';
import { runEntryPoint } from '../support/run-command';
import { scratchDatabase } from '../support/isolated-env';

const BEFORE_SELLERS = 6;

/** A database migrated as far as the last migration before sellers, holding `legacy` data. */
async function legacyDatabase(legacy: string) {
  const scratch = await scratchDatabase();
  const env = { ...process.env, DATABASE_URL: scratch.url };
  const earlier = await runEntryPoint('test/support/migrate-first.ts', { args: [String(BEFORE_SELLERS)], env });
  if (earlier.code !== 0) throw new Error(`the earlier migrations failed: ${earlier.stderr}`);
  const client = new Client({ connectionString: scratch.url });
  await client.connect();
  await client.query(legacy);
  const migrate = () => runEntryPoint('src/commands/migrate.ts', { env });
  return {
    client,
    migrate,
    close: async () => {
      await client.end();
      await scratch.drop();
    },
  };
}

const LEGACY = `
  INSERT INTO seller_accounts (id, marketplace, display_name) VALUES
    ('brand-ajio', 'ajio', 'Brand on AJIO'), ('brand-amazon', 'amazon', 'Brand on Amazon'),
    ('brand-flipkart', 'flipkart', 'Brand on Flipkart'), ('solo', 'meesho', 'Solo'), ('idle', 'ajio', 'Idle');
  INSERT INTO skus (id, title, stock, reserved) VALUES ('TEE', 'Tee', 10, 2), ('CAP', 'Cap', 5, 0), ('MUG', 'Mug', 3, 0);
  INSERT INTO listings (account_id, sku_id, external_id, quantity, price_paise) VALUES
    ('brand-ajio', 'TEE', 'a-tee', 8, 100), ('brand-amazon', 'TEE', 'z-tee', 8, 100),
    ('brand-amazon', 'CAP', 'z-cap', 5, 100), ('solo', 'MUG', 'mug', 3, 100);
  -- Only an order line ties the Flipkart account to the brand's cap.
  INSERT INTO orders (account_id, external_id, status, total_paise, ordered_at) VALUES ('brand-flipkart', 'o1', 'created', 100, now());
  INSERT INTO order_lines (account_id, order_id, sku_id, quantity) VALUES ('brand-flipkart', 'o1', 'CAP', 1);
`;

it('groups accounts that share SKUs into one seller and gives every row its seller', async () => {
  const db = await legacyDatabase(LEGACY);
  try {
    const result = await db.migrate();
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('1763856000006_sellers-and-stock');
    const rows = async (sql: string) => (await db.client.query(sql)).rows;
    expect(await rows('SELECT id, seller_id FROM seller_accounts ORDER BY id')).toEqual([
      { id: 'brand-ajio', seller_id: 'brand-ajio' },
      { id: 'brand-amazon', seller_id: 'brand-ajio' },
      { id: 'brand-flipkart', seller_id: 'brand-ajio' },
      { id: 'idle', seller_id: 'idle' },
      { id: 'solo', seller_id: 'solo' },
    ]);
    expect(await rows('SELECT id, display_name FROM sellers ORDER BY id')).toEqual([
      { id: 'brand-ajio', display_name: 'Brand on AJIO' },
      { id: 'idle', display_name: 'Idle' },
      { id: 'solo', display_name: 'Solo' },
    ]);
    expect(await rows('SELECT id, seller_id, stock, reserved FROM skus ORDER BY id')).toEqual([
      { id: 'CAP', seller_id: 'brand-ajio', stock: 5, reserved: 0 },
      { id: 'MUG', seller_id: 'solo', stock: 3, reserved: 0 },
      { id: 'TEE', seller_id: 'brand-ajio', stock: 10, reserved: 2 },
    ]);
    expect(await rows('SELECT account_id, seller_id FROM listings ORDER BY account_id, sku_id')).toEqual([
      { account_id: 'brand-ajio', seller_id: 'brand-ajio' },
      { account_id: 'brand-amazon', seller_id: 'brand-ajio' },
      { account_id: 'brand-amazon', seller_id: 'brand-ajio' },
      { account_id: 'solo', seller_id: 'solo' },
    ]);
    // Lines stored before stock followed orders never move it.
    expect(await rows('SELECT seller_id, stock_state FROM order_lines')).toEqual([
      { seller_id: 'brand-ajio', stock_state: 'none' },
    ]);
    // From now on a listing cannot join one seller's account to another seller's SKU.
    await expect(
      db.client.query(
        `INSERT INTO listings (seller_id, account_id, sku_id, external_id, quantity, price_paise)
         VALUES ('solo', 'solo', 'TEE', 'tee', 1, 1)`,
      ),
    ).rejects.toThrow(/listings_seller_sku_fkey/);
  } finally {
    await db.close();
  }
});

it('stops at a SKU no account ever touched, names it, and changes nothing', async () => {
  const db = await legacyDatabase(`${LEGACY} INSERT INTO skus (id, title, stock) VALUES ('LOST-1', 'Lost', 4);`);
  try {
    const result = await db.migrate();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('SKUs with no account cannot be given a seller: LOST-1');
    const tables = await db.client.query("SELECT to_regclass('sellers') AS sellers");
    expect(tables.rows[0].sellers).toBeNull();
    const skus = await db.client.query('SELECT id, stock FROM skus ORDER BY id');
    expect(skus.rows).toEqual([
      { id: 'CAP', stock: 5 },
      { id: 'LOST-1', stock: 4 },
      { id: 'MUG', stock: 3 },
      { id: 'TEE', stock: 10 },
    ]);
  } finally {
    await db.close();
  }
});
