/**
 * A private PostgreSQL 15 cluster under `.data/postgres`, from Debian's server binaries. PostgreSQL
 * refuses to run as root, so as root the cluster belongs to the unprivileged `postgres` user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { postgresReady } from '../../../src/platform/probes';
import { DATA_DIR } from '../paths';
import { ensureDebianProgram } from '../install';
import type { StackService } from '../service';

const DATABASE = 'seller';
const SUPERUSER = 'seller';
const UNPRIVILEGED_USER = 'postgres';

function serverBinDir(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) return fromEnv;
  const installed = () =>
    existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .filter((version) => existsSync(`/usr/lib/postgresql/${version}/bin/postgres`))
          .sort((a, b) => Number(a) - Number(b))
      : [];
  if (installed().length === 0) ensureDebianProgram('/usr/lib/postgresql/15/bin/postgres', 'postgresql-15');
  const versions = installed();
  return `/usr/lib/postgresql/${versions.includes('15') ? '15' : versions.at(-1)}/bin`;
}

interface Account {
  uid: number;
  gid: number;
}

function runAsAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (flag: string) => spawnSync('id', [flag, UNPRIVILEGED_USER], { encoding: 'utf8' });
  if (lookup('-u').status !== 0) {
    const created = spawnSync('useradd', [
      '--system',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      UNPRIVILEGED_USER,
    ]);
    if (created.status !== 0)
      throw new Error(`could not create the unprivileged user "${UNPRIVILEGED_USER}" for PostgreSQL`);
  }
  return { uid: Number(lookup('-u').stdout.trim()), gid: Number(lookup('-g').stdout.trim()) };
}

/** The cluster's owner must be able to reach its data directory through every parent folder. */
function ensureTraversable(dir: string, account: Account): void {
  const canEnter = (folder: string) =>
    spawnSync('test', ['-x', folder], { uid: account.uid, gid: account.gid }).status === 0;
  const ancestors = dir.split(path.sep).map((_, i, parts) => parts.slice(0, i + 1).join(path.sep) || path.sep);
  for (const folder of ancestors) {
    if (canEnter(folder)) continue;
    console.log(
      `postgres: allowing other users to traverse ${folder} so the "${UNPRIVILEGED_USER}" user reaches .data/postgres`,
    );
    chmodSync(folder, statSync(folder).mode | 0o001);
  }
}

function prepareDataDir(dataDir: string, account: Account | undefined, binDir: string): void {
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (!existsSync(dataDir)) mkdirSync(dataDir, { mode: 0o700 });
  if (account) {
    chownSync(dataDir, account.uid, account.gid);
    ensureTraversable(dataDir, account);
  }
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const init = spawnSync(
    path.join(binDir, 'initdb'),
    ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--no-locale'],
    { uid: account?.uid, gid: account?.gid, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
}

export function postgresService({
  port,
  name = 'postgres',
  dataDir = path.join(DATA_DIR, 'postgres'),
}: {
  port: number;
  name?: string;
  dataDir?: string;
}): StackService {
  const connect = async (database: string) => {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, database, connectionTimeoutMillis: 2000 });
    await client.connect();
    return client;
  };
  return {
    name,
    // SIGINT is PostgreSQL's "fast" shutdown: abort sessions, checkpoint, exit.
    stopSignal: 'SIGINT',
    startTimeoutMs: 60_000,
    program: () => 'postgres',
    async prepare() {
      const binDir = serverBinDir();
      const account = runAsAccount();
      prepareDataDir(dataDir, account, binDir);
      return {
        name,
        command: path.join(binDir, 'postgres'),
        args: ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        user: account,
      };
    },
    async isHealthy() {
      const client = await connect('postgres');
      try {
        await postgresReady(client)();
        return true;
      } finally {
        await client.end();
      }
    },
    async afterStart() {
      const client = await connect('postgres');
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
        if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
      } finally {
        await client.end();
      }
    },
    env: () => ({ DATABASE_URL: `postgres://${SUPERUSER}@127.0.0.1:${port}/${DATABASE}` }),
    summary: () => `PostgreSQL postgres://${SUPERUSER}@127.0.0.1:${port}/${DATABASE}`,
  };
}
