/**
 * `npm run credentials -- reseal | status [--json]`: retiring a credentials key after rotation
 * (docs/operations.md, "Rotating the credentials key"). `reseal` re-seals every row an older key
 * sealed with CREDENTIALS_ACTIVE_KEY_ID (src/db/credential-keys.ts) and exits 1 if some row no key
 * opens; `status` counts the rows per key id, so an operator sees when an old key can be dropped.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config';
import { readArguments, runCommand } from './command';
import { credentialsPerKey, resealCredentials, type ResealReport } from '../db/credential-keys';
import { createPool } from '../db/pool';
import type { Queryable } from '../db/transaction';
import { requireKeyring, type Keyring } from '../platform/keyring';
import { FatalError } from '../platform/main';

const USAGE = 'usage: npm run credentials -- reseal | status [--json] | help';

/** A reseal that left rows no key opens: those accounts need new credentials from their sellers. */
const EXIT_UNOPENABLE_ROWS = 1;

type Action = 'reseal' | 'status';

function request(): { action: Action; json: boolean } | undefined {
  const { positionals, values } = readArguments(USAGE, () =>
    parseArgs({
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h', default: false }, json: { type: 'boolean', default: false } },
    }),
  );
  if (values.help || positionals[0] === 'help') return undefined;
  const [action, ...extra] = positionals;
  if ((action !== 'reseal' && action !== 'status') || extra.length > 0) throw new FatalError(USAGE);
  return { action, json: values.json };
}

runCommand(USAGE, request, async (asked, config: Config) => {
  const keyring = requireKeyring(config);
  const pool = createPool(config, { max: 1 });
  try {
    await (asked.action === 'reseal' ? reseal : status)(pool, keyring, asked.json);
  } finally {
    await pool.end();
  }
});

async function reseal(db: Queryable, keyring: Keyring, json: boolean): Promise<void> {
  const report = await resealCredentials(db, keyring);
  console.log(
    json ? JSON.stringify({ activeKeyId: keyring.activeKeyId, ...report }, null, 2) : resealText(keyring, report),
  );
  if (report.failed.length > 0) process.exitCode = EXIT_UNOPENABLE_ROWS;
}

function resealText(keyring: Keyring, report: ResealReport): string {
  return [
    `re-sealed with key "${keyring.activeKeyId}": ${report.total} row(s) looked at`,
    `  resealed: ${report.resealed}`,
    `  already on the active key: ${report.alreadyActive}`,
    `  changed meanwhile (left as written; run again): ${report.changedMeanwhile}`,
    `  failed (no key opens them): ${report.failed.length}`,
    ...report.failed.map((f) => `    account ${f.accountId}: ${f.reason}`),
  ].join('\n');
}

interface KeyStatus {
  keyId: string;
  accounts: number;
  active: boolean;
  inKeyring: boolean;
}

/** Every key id that has rows or is in the keyring: a key not active with no rows can be dropped. */
async function keyStatuses(db: Queryable, keyring: Keyring): Promise<KeyStatus[]> {
  const counted = new Map((await credentialsPerKey(db)).map((row) => [row.keyId, row.accounts]));
  const keyIds = [...new Set([...keyring.keys.keys(), ...counted.keys()])].sort();
  return keyIds.map((keyId) => ({
    keyId,
    accounts: counted.get(keyId) ?? 0,
    active: keyId === keyring.activeKeyId,
    inKeyring: keyring.keys.has(keyId),
  }));
}

function keyStatusLine(key: KeyStatus): string {
  const role = key.active
    ? 'active'
    : !key.inKeyring
      ? 'NOT IN CREDENTIALS_KEYS: these rows open with no key'
      : key.accounts === 0
        ? 'no rows: can be dropped'
        : 'rows left: run reseal';
  return `${key.keyId}  ${key.accounts} account(s)  ${role}`;
}

async function status(db: Queryable, keyring: Keyring, json: boolean): Promise<void> {
  const keys = await keyStatuses(db, keyring);
  const droppable = keys.filter((key) => key.inKeyring && !key.active && key.accounts === 0).map((key) => key.keyId);
  console.log(json ? JSON.stringify({ keys, droppable }, null, 2) : keys.map(keyStatusLine).join('\n'));
}
