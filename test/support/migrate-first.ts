/**
 * Applies only the first N migrations (N: the first argument) to DATABASE_URL: a database as an
 * earlier release left it, for tests of the migration that comes next. Its own process, because
 * node-pg-migrate ships as an ES module only.
 */
import { MIGRATIONS_DIR } from '../../src/commands/migrate';

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  if (!Number.isInteger(count) || count < 1) throw new Error('usage: migrate-first.ts <count>');
  const { runner } = await import('node-pg-migrate');
  await runner({
    databaseUrl: process.env.DATABASE_URL!,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    count,
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    log: () => undefined,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
