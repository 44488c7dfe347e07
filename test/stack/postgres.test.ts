import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { Client } from 'pg';
import { MIGRATIONS_DIR } from '../../src/commands/migrate';
import { loadConfig } from '../../src/config';
import { runEntryPoint } from '../support/run-command';

jest.setTimeout(60_000);

const config = loadConfig();
const database = `migrate_test_${randomUUID().replace(/-/g, '')}`;
const databaseUrl = (() => {
  const url = new URL(config.database.url);
  url.pathname = `/${database}`;
  return url.toString();
})();

async function withClient<T>(connectionString: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

beforeAll(() => withClient(config.database.url, (client) => client.query(`CREATE DATABASE ${database}`)));
afterAll(() =>
  withClient(config.database.url, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)),
);

describe('migrations (npm run db:migrate)', () => {
  const migrate = () =>
    runEntryPoint('src/commands/migrate.ts', { env: { ...process.env, DATABASE_URL: databaseUrl } });
  const migrationNames = readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.replace(/\.sql$/, ''))
    .sort();

  it('apply every migration to an empty database', async () => {
    const first = await migrate();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const applied = await withClient(databaseUrl, async (client) =>
      (await client.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on, id')).rows.map(
        (r) => r.name,
      ),
    );
    expect(applied).toEqual(migrationNames);
    const accounts = await withClient(databaseUrl, (client) =>
      client.query("SELECT to_regclass('seller_accounts') AS t"),
    );
    expect(accounts.rows[0].t).toBe('seller_accounts');
  });

  it('are re-runnable: a second run applies nothing and succeeds', async () => {
    const second = await migrate();
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe('database is up to date');
    const count = await withClient(databaseUrl, (client) =>
      client.query('SELECT count(*)::int AS n FROM pgmigrations'),
    );
    expect(count.rows[0].n).toBe(migrationNames.length);
  });

  it('stops with one line naming the variable when DATABASE_URL is malformed', async () => {
    const result = await runEntryPoint('src/commands/migrate.ts', {
      env: { ...process.env, DATABASE_URL: 'mysql://x' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('Configuration error: DATABASE_URL must be a postgres:// or postgresql:// URL');
  });
});
