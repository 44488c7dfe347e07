/**
 * `npm run seller -- status <seller or account> [--json]`: why is this seller stuck? Its accounts and
 * tokens, open workflows with the activity each waits on, dead letters, parked work, flagged claims,
 * sagas needing attention and rate-limit cooldowns (src/observability/seller-status.ts). Read-only.
 * A server that does not answer shows as "unavailable: <reason>"; the rest is still printed.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config';
import { readArguments, runCommand } from './command';
import { createPool } from '../db/pool';
import {
  InvalidSellerIdError,
  readSellerStatus,
  UnknownSellerError,
  type Section,
  type SellerStatus,
} from '../observability/seller-status';
import { FatalError } from '../platform/main';
import { createRedisConnection } from '../platform/redis';
import { createLazyTemporalClient } from '../platform/temporal-client';
import { SILENT_LOGGER } from '../platform/logger';

const USAGE = 'usage: npm run seller -- status <seller or account id> [--json] | help';

function request(): { id: string; json: boolean } | undefined {
  const { positionals, values } = readArguments(USAGE, () =>
    parseArgs({
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h', default: false }, json: { type: 'boolean', default: false } },
    }),
  );
  if (values.help || positionals[0] === 'help') return undefined;
  const [action, id, ...extra] = positionals;
  if (action !== 'status' || id === undefined || extra.length > 0) throw new FatalError(USAGE);
  return { id, json: values.json };
}

runCommand(USAGE, request, printStatus);

async function printStatus(asked: { id: string; json: boolean }, config: Config): Promise<void> {
  const pool = createPool(config, { max: 4 });
  // A Redis that is away makes the cooldowns unavailable (within the reader's deadline), not the answer.
  const redis = createRedisConnection(config, { log: SILENT_LOGGER });
  const temporal = createLazyTemporalClient(config, { retryCalls: false });
  try {
    const status = await readSellerStatus({ pool, temporal, redis, redisKeyPrefix: config.redis.keyPrefix }, asked.id);
    console.log(asked.json ? JSON.stringify(status, null, 2) : statusText(status));
  } catch (error) {
    if (error instanceof InvalidSellerIdError || error instanceof UnknownSellerError)
      throw new FatalError(error.message);
    throw error;
  } finally {
    redis.disconnect();
    await temporal.connection.close();
    await pool.end();
  }
}

const at = (date: Date | null | undefined) => (date ? date.toISOString() : '-');

function sectionLines<T>(title: string, section: Section<T[]>, line: (item: T) => string): string[] {
  if (!section.ok) return [`${title}: unavailable: ${section.unavailable}`];
  if (section.value.length === 0) return [`${title}: none`];
  return [`${title}: ${section.value.length}`, ...section.value.map((item) => `  ${line(item)}`)];
}

function statusText(status: SellerStatus): string {
  const who = status.seller
    ? `seller ${status.seller.id} (${status.seller.displayName}), matched by ${status.matched} id ${status.asked}`
    : `${status.asked}: PostgreSQL did not answer, so it is read as an account id`;
  return [
    who,
    ...sectionLines('accounts', status.accounts, (a) => {
      const token = a.token
        ? `token expires ${at(a.token.expiresAt)}${a.token.expired ? ' (EXPIRED)' : ''}`
        : 'no stored credentials';
      return `${a.id}  ${a.marketplace}  ${a.enabled ? 'enabled' : 'DISABLED'}  ${a.status}${a.needsReauth ? ' (NEEDS RE-AUTHORISATION)' : ''}  ${token}`;
    }),
    ...sectionLines('open workflows', status.workflows, (w) =>
      [
        `${w.workflowId}  ${w.workflowType}  account ${w.accountId}  started ${at(w.startedAt)}`,
        ...(w.pendingActivities.length === 0 ? ['    no pending activity'] : []),
        ...w.pendingActivities.map(
          (p) =>
            `    waits on ${p.activityType} (${p.state}), attempt ${p.attempt}` +
            `${p.nextAttemptAt ? `, next attempt ${at(p.nextAttemptAt)}` : ''}` +
            `${p.lastFailure ? `\n      last failure: ${p.lastFailure}` : ''}`,
        ),
      ].join('\n'),
    ),
    ...sectionLines(
      'dead letters in a DLQ',
      status.deadLetters,
      (l) =>
        `${l.disposition === 'parked' ? 'PARKED' : l.disposition}  ${l.sourceQueue}  ${l.messageType ?? '(not an envelope)'}  ` +
        `account ${l.accountId ?? '-'}  ${l.idempotencyKey ?? l.sourceMessageId}  ${at(l.deadLetteredAt)}\n      reason: ${l.reason}`,
    ),
    ...sectionLines(
      'flagged claims',
      status.flaggedClaims,
      (c) =>
        `${c.idempotencyKey}  ${c.queue}  account ${c.accountId}  unsent since ${at(c.claimedAt)}  ` +
        `${c.attempts} attempt(s): ${c.reason ?? c.lastError ?? ''}`,
    ),
    ...sectionLines(
      'flagged schedules',
      status.flaggedSchedules,
      (s) => `${s.id}  ${s.kind}  account ${s.accountId}: ${s.reason ?? ''}`,
    ),
    ...sectionLines(
      'sagas needing attention',
      status.sagas,
      (s) => `${s.workflowId}  ${s.saga}  account ${s.accountId}  step ${s.failedStep ?? '-'}: ${s.reason ?? ''}`,
    ),
    ...sectionLines(
      'rate-limit cooldowns',
      status.cooldowns,
      (c) => `${c.accountId}  ${c.marketplace} ${c.operation}: ${c.used}/${c.points} used, next call at ${at(c.until)}`,
    ),
  ].join('\n');
}
