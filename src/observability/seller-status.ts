/**
 * "Why is this seller stuck?" in one read: a seller (asked by its id or one of its accounts') with
 * its accounts and their tokens, each account's open workflows with the activity they wait on, its
 * dead letters (parked ones among them), flagged claims and schedules, sagas needing attention and
 * rate-limit cooldowns. PostgreSQL, Temporal visibility and Redis are read side by side: a server
 * that does not answer makes its sections "unavailable: <reason>", never the whole answer.
 * Read-only: nothing here writes anywhere. `npm run seller -- status` and the admin page call it.
 */
import type { Client } from '@temporalio/client';
import type { RedisConnection } from '../platform/redis';
import type { Pool } from 'pg';
import { ACCOUNT_ID_PATTERN } from '../contracts/envelope';
import { MARKETPLACES, type Marketplace } from '../contracts/marketplaces';
import { AccountIdKey } from '../contracts/search-attributes';
import { sellerWithAccounts, type SellerAccount } from '../db/accounts';
import { attentionSummary, type FlaggedClaim, type FlaggedSchedule } from '../db/attention';
import { tokenTimes } from '../db/credentials';
import { sagasNeedingAttention, type SagaNeedingAttention } from '../db/saga-runs';
import { MarketplaceRateLimiter, type Cooldown } from '../marketplaces/rate-limiter';
import { openDeadLettersOfSeller } from '../queues/dead-letter-record';
import type { ListedDeadLetter } from '../queues/dead-letter-record';

/** Enough to see what is stuck; a count says when more exist. */
export const STATUS_LIST_LIMIT = 50;

/** A server that has not answered by then is reported unavailable rather than waited for. */
export const SOURCE_DEADLINE_MS = 10_000;

/** A section's content, or why it could not be read. */
export type Section<T> = { ok: true; value: T } | { ok: false; unavailable: string };

export interface AccountStatus extends SellerAccount {
  needsReauth: boolean;
  /** Null when the account has no stored credentials. */
  token: { expiresAt: Date | null; refreshedAt: Date | null; expired: boolean } | null;
}

export interface PendingActivity {
  activityType: string;
  state: string;
  attempt: number;
  lastFailure: string | null;
  scheduledAt: Date | null;
  lastStartedAt: Date | null;
  nextAttemptAt: Date | null;
}

export interface OpenWorkflow {
  accountId: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  startedAt: Date | null;
  pendingActivities: PendingActivity[];
}

export interface SellerStatus {
  /** The id asked for, and what it matched; `unresolved` when PostgreSQL could not say. */
  asked: string;
  matched: 'seller' | 'account' | 'unresolved';
  seller: { id: string; displayName: string } | null;
  accounts: Section<AccountStatus[]>;
  workflows: Section<OpenWorkflow[]>;
  deadLetters: Section<ListedDeadLetter[]>;
  flaggedClaims: Section<FlaggedClaim[]>;
  flaggedSchedules: Section<FlaggedSchedule[]>;
  sagas: Section<SagaNeedingAttention[]>;
  cooldowns: Section<Cooldown[]>;
  readAt: Date;
}

export interface SellerStatusSources {
  pool: Pool;
  temporal: Client;
  redis: RedisConnection;
  /** REDIS_KEY_PREFIX: where the rate limiters keep their buckets. */
  redisKeyPrefix: string;
  deadlineMs?: number;
}

/** The id is refused before it reaches any server: the answer is one line, the page a 400. */
export class InvalidSellerIdError extends Error {
  override readonly name = 'InvalidSellerIdError';
}

/** PostgreSQL answered and knows no seller or account by this id. */
export class UnknownSellerError extends Error {
  override readonly name = 'UnknownSellerError';
}

/** Seller and account ids share one pattern (envelope.ts): only such an id is ever put into a query. */
export function checkSellerOrAccountId(id: string): string {
  if (!ACCOUNT_ID_PATTERN.test(id)) {
    const shown = id.length > 40 ? `${JSON.stringify(id.slice(0, 40))}… (${id.length} characters)` : JSON.stringify(id);
    throw new InvalidSellerIdError(`${shown} is not a seller or account id: 1-64 letters, digits, _ or -`);
  }
  return id;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

async function withinDeadline<T>(what: string, read: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([read(), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function section<T>(what: string, read: () => Promise<T>, ms: number): Promise<Section<T>> {
  try {
    return { ok: true, value: await withinDeadline(what, read, ms) };
  } catch (error) {
    return { ok: false, unavailable: `${what}: ${reasonOf(error)}` };
  }
}

const unavailable = <T>(reason: string): Section<T> => ({ ok: false, unavailable: reason });

async function withTokens(pool: Pool, accounts: readonly SellerAccount[], now: Date): Promise<AccountStatus[]> {
  return Promise.all(
    accounts.map(async (account) => {
      const times = await tokenTimes(pool, account.id);
      return {
        ...account,
        needsReauth: account.status === 'needs_reauth',
        token: times
          ? {
              expiresAt: times.tokenExpiresAt,
              refreshedAt: times.tokenRefreshedAt,
              expired: times.tokenExpiresAt !== null && times.tokenExpiresAt <= now,
            }
          : null,
      };
    }),
  );
}

type RawPendingActivity = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>['raw']['pendingActivities']
>[number];

const protoDate = (time: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | null =>
  time?.seconds == null ? null : new Date(Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6));

/** PENDING_ACTIVITY_STATE_SCHEDULED -> scheduled */
const STATE_NAMES = ['unspecified', 'scheduled', 'started', 'cancel-requested', 'paused', 'pause-requested'];

function pendingActivity(raw: RawPendingActivity): PendingActivity {
  return {
    activityType: raw.activityType?.name ?? '(unknown)',
    state: STATE_NAMES[Number(raw.state ?? 0)] ?? String(raw.state),
    attempt: raw.attempt ?? 0,
    lastFailure: raw.lastFailure?.message ?? null,
    scheduledAt: protoDate(raw.scheduledTime),
    lastStartedAt: protoDate(raw.lastStartedTime),
    nextAttemptAt: protoDate(raw.nextAttemptScheduleTime),
  };
}

/** An account's running workflows, newest first, each described for the activities it waits on. */
async function openWorkflowsOf(temporal: Client, accountId: string, limit: number): Promise<OpenWorkflow[]> {
  // Only an id that matched ACCOUNT_ID_PATTERN (no quote, no space) reaches the visibility query.
  const query = `${AccountIdKey.name} = '${checkSellerOrAccountId(accountId)}' AND ExecutionStatus = 'Running'`;
  const open: OpenWorkflow[] = [];
  for await (const run of temporal.workflow.list({ query, pageSize: limit })) {
    const described = await temporal.workflow.getHandle(run.workflowId, run.runId).describe();
    open.push({
      accountId,
      workflowId: run.workflowId,
      runId: run.runId,
      workflowType: run.type,
      startedAt: run.startTime ?? null,
      pendingActivities: (described.raw.pendingActivities ?? []).map(pendingActivity),
    });
    if (open.length >= limit) break;
  }
  return open;
}

async function cooldownsOf(
  sources: SellerStatusSources,
  accounts: readonly { id: string; marketplace: Marketplace }[],
): Promise<Cooldown[]> {
  // A limiter whose Redis is away answers from memory: ask Redis first, so that is never taken for "none".
  await sources.redis.ping();
  const limiter = new MarketplaceRateLimiter({ redis: sources.redis, keyPrefix: sources.redisKeyPrefix });
  const perAccount = await Promise.all(accounts.map((a) => limiter.cooldowns(a.marketplace, a.id)));
  return perAccount.flat();
}

/** When PostgreSQL cannot say whose the id is, Temporal and Redis are still asked about it as an account. */
function unresolvedAccounts(id: string) {
  return MARKETPLACES.map((marketplace) => ({ id, marketplace }));
}

export async function readSellerStatus(sources: SellerStatusSources, id: string): Promise<SellerStatus> {
  const asked = checkSellerOrAccountId(id);
  const ms = sources.deadlineMs ?? SOURCE_DEADLINE_MS;
  const now = new Date();
  const resolved = await section('PostgreSQL', () => sellerWithAccounts(sources.pool, asked), ms);
  if (resolved.ok && !resolved.value) throw new UnknownSellerError(`no seller or account has the id ${asked}`);
  const found = resolved.ok ? resolved.value! : undefined;
  const accounts = found ? found.accounts : unresolvedAccounts(asked);
  const accountIds = [...new Set(accounts.map((a) => a.id))];
  const pg = <T>(read: () => Promise<T>): Promise<Section<T>> =>
    found
      ? section('PostgreSQL', read, ms)
      : Promise.resolve(unavailable<T>((resolved as { unavailable: string }).unavailable));

  const [accountStatus, workflows, deadLetters, attention, sagas, cooldowns] = await Promise.all([
    pg(() => withTokens(sources.pool, found!.accounts, now)),
    section(
      'Temporal',
      async () =>
        (await Promise.all(accountIds.map((a) => openWorkflowsOf(sources.temporal, a, STATUS_LIST_LIMIT)))).flat(),
      ms,
    ),
    pg(() => openDeadLettersOfSeller(sources.pool, { sellerId: found!.seller.id, accountIds }, STATUS_LIST_LIMIT)),
    pg(() => attentionSummary(sources.pool, STATUS_LIST_LIMIT, accountIds)),
    pg(() => sagasNeedingAttention(sources.pool, accountIds, STATUS_LIST_LIMIT)),
    section('Redis', () => cooldownsOf(sources, accounts), ms),
  ]);
  return {
    asked,
    matched: found?.matched ?? 'unresolved',
    seller: found?.seller ?? null,
    accounts: accountStatus,
    workflows,
    deadLetters,
    flaggedClaims: attention.ok ? { ok: true, value: attention.value.claims } : attention,
    flaggedSchedules: attention.ok ? { ok: true, value: attention.value.schedules } : attention,
    sagas,
    cooldowns,
    readAt: now,
  };
}
