/** `npm run db:migrate`: applies pending migrations. Concurrent runs wait on node-pg-migrate's lock. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { createPool } from '../db/pool';
import { postgresServer, requireServers } from '../platform/startup-checks';
import { runMain } from '../platform/main';

/** Migrations sit beside package.json, whether this runs from src/ (tsx) or dist/src/ (the image). */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

export const MIGRATIONS_DIR = path.join(projectRoot(), 'migrations');

/** Returns the names of the migrations it applied. */
export async function migrate(config: Config): Promise<string[]> {
  // node-pg-migrate ships as an ES module only.
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl: config.database.url,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    log: () => undefined,
  });
  return applied.map((migration) => migration.name);
}

if (require.main === module) {
  runMain(async () => {
    const config = loadConfig();
    // On failure the process exits: a pool still connecting to a host that never answers would not end.
    const pool = createPool(config, { max: 1 });
    await requireServers([postgresServer(pool)]);
    await pool.end();
    const applied = await migrate(config);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
  });
}
