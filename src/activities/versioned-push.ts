/**
 * The versioned push and the drift repair (docs/inventory.md): the one way a quantity reaches a
 * marketplace. Each batch of one account's listings is pushed inside a PostgreSQL transaction that
 * holds the listings and share-locks their SKUs for the one marketplace call, computes what each must
 * show from PostgreSQL at that moment, and records what the marketplace applied, compare-and-set.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { PoolClient } from 'pg';
import type { UpdateOutcome } from '../contracts/marketplace-records';
import { inUpdateBatches, type Marketplace } from '../contracts/marketplaces';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import {
  NO_STOCK_REPAIRS,
  type PushedQuantity,
  type StockPushResult,
  type StockRepairCounts,
} from '../contracts/stock';
import {
  isBehind,
  isLockTimeout,
  listingPushStates,
  recordDriftFindings,
  recordPushed,
  shownQuantity,
  withPushLocks,
  type DriftFinding,
  type LockedListing,
} from '../db/listing-pushes';
import { outlastRateLimits, withShortWaits } from '../marketplaces/call-wait';
import type { MarketplaceClient } from '../marketplaces/client';
import { isFailureOfType } from '../marketplaces/errors';
import { forAccount, requireActiveAccount } from './account-guard';
import type { ActivityDeps } from './activity-deps';
import { requireSellersOwn } from './seller-guard';

/**
 * Beyond the marketplace call's own timeout, how long a push may hold its locks (and another push
 * wait for them): the shared rate limiter's in-process wait for a turn (at most 5 s) and a margin.
 * Credentials are obtained before the locks are taken, so the call is one request.
 */
const PUSH_HOLD_MARGIN_MS = 10_000;

export interface StockPushRequest {
  /** The seller whose stock it is; default: the account's own (a marketplace.push names only the account). */
  sellerId?: string;
  accountId: string;
  skuIds: string[];
  /** Push even the listings that already show their SKU's version (the drift repair). */
  force?: boolean;
  /** Appended to the call's key: this run's push must be applied, not answered from an older one's. */
  runKey?: string;
}

/** A SKU id used as it is in a key when it is plainly an id; anything else goes through the hash. */
const PLAIN_SKU_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The idempotency key of one push: `stock:<account>:<sku>:v<version>` for one listing; for a batch,
 * one key derived from its (SKU, version) pairs. Same versions, same key (a lost answer is replayed
 * by the marketplace); a newer version, a new key and a new value. `runKey` makes it a run's own.
 */
export function stockPushKey(
  accountId: string,
  listings: readonly Pick<LockedListing, 'skuId' | 'version'>[],
  runKey?: string,
): string {
  const [only] = listings;
  const base =
    listings.length === 1 && PLAIN_SKU_ID.test(only!.skuId)
      ? `stock:${accountId}:${only!.skuId}:v${only!.version}`
      : `stock:${accountId}:${createHash('sha256')
          .update(
            listings
              .map((l) => `${l.skuId}@${l.version}`)
              .sort()
              .join('\n'),
          )
          .digest('hex')
          .slice(0, 32)}`;
  return runKey ? `${base}:${runKey}` : base;
}

/** The marketplace's verdict per listing; a whole update refused as invalid is every listing's refusal. */
async function sendQuantities(
  client: MarketplaceClient,
  accountId: string,
  listings: readonly LockedListing[],
  key: string,
): Promise<UpdateOutcome> {
  const changes = listings.map((listing) => ({ sku: listing.externalId, quantity: shownQuantity(listing) }));
  try {
    return await client.updateListings(accountId, changes, key);
  } catch (error) {
    if (!isFailureOfType(error, MARKETPLACE_FAILURES.validation)) throw error;
    return { applied: [], failed: changes.map(({ sku }) => ({ sku, error: (error as Error).message })) };
  }
}

/** What was sent, split by the marketplace's verdict. */
function verdicts(listings: readonly LockedListing[], outcome: UpdateOutcome) {
  const applied = new Set(outcome.applied);
  const errors = new Map(outcome.failed.map((failure) => [failure.sku, failure.error]));
  const sent = (listing: LockedListing): PushedQuantity => ({
    skuId: listing.skuId,
    externalId: listing.externalId,
    quantity: shownQuantity(listing),
    version: listing.version,
  });
  return {
    pushed: listings.filter((l) => applied.has(l.externalId)).map(sent),
    rejected: listings
      .filter((l) => !applied.has(l.externalId))
      .map((l) => ({ ...sent(l), error: errors.get(l.externalId) ?? 'not applied' })),
  };
}

/** The push's account: its marketplace client, and how long its locks may be held. */
interface PushTarget {
  deps: ActivityDeps;
  accountId: string;
  marketplace: Marketplace;
}

/**
 * One batch under the push's locks: `work` picks what to send and answers from the marketplace's
 * verdict, in the same transaction. The account guard applies to every batch (a revoked
 * authorisation marks the account; an expired AJIO token asks for a refresh); lock waits past the
 * hold are retryable.
 */
async function underPushLocks<T>(
  { deps, accountId, marketplace }: PushTarget,
  skuIds: readonly string[],
  work: (client: MarketplaceClient, db: PoolClient, listings: LockedListing[]) => Promise<T>,
): Promise<T> {
  const client = deps.marketplaces.clients[marketplace];
  const holdMs = deps.marketplaces.callTimeoutMs + PUSH_HOLD_MARGIN_MS;
  // A 429 or a long turn of the rate limiter is not waited out under the locks: the transaction rolls
  // back, the wait happens outside them (heartbeating), and the batch is computed and sent again.
  return forAccount(deps, accountId, async () => {
    await client.authenticate(accountId);
    try {
      return await outlastRateLimits(deps.marketplaces.callTimeoutMs, () =>
        withPushLocks(deps.pool, { accountId, skuIds, holdMs }, (db, listings) =>
          withShortWaits(() => work(client, db, listings)),
        ),
      );
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      throw ApplicationFailure.retryable(
        `listings of ${accountId} stayed locked by another push for ${holdMs} ms`,
        'PushLockBusy',
      );
    }
  });
}

/** The account the work is for, checked: the seller's own, and one we may act for. */
async function pushTarget(
  deps: ActivityDeps,
  request: { sellerId?: string; accountId: string; skuIds: readonly string[] },
): Promise<PushTarget & { sellerId: string }> {
  const sellerId = await requireSellersOwn(deps, request);
  const { marketplace } = await requireActiveAccount(deps, request.accountId);
  return { deps, accountId: request.accountId, marketplace, sellerId };
}

/** The versioned push of `skuIds` to the account's listings, one transaction and call per batch. */
export async function pushStock(deps: ActivityDeps, request: StockPushRequest): Promise<StockPushResult> {
  const target = await pushTarget(deps, request);
  const result: StockPushResult = { pushed: [], upToDate: [], unlisted: [], rejected: [] };
  for (const skuIds of inUpdateBatches([...new Set(request.skuIds)].sort(), target.marketplace)) {
    // The batch's verdicts join the result only once its transaction committed (a rate-limited batch runs again).
    const batch = await underPushLocks(target, skuIds, async (client, db, listings) => {
      const listed = new Set(listings.map((listing) => listing.skuId));
      const unlisted = skuIds.filter((skuId) => !listed.has(skuId));
      const due = request.force ? listings : listings.filter(isBehind);
      const upToDate = listings.filter((listing) => !due.includes(listing)).map((listing) => listing.skuId);
      if (due.length === 0) return { unlisted, upToDate, pushed: [], rejected: [] };
      const key = stockPushKey(request.accountId, due, request.runKey);
      const { pushed, rejected } = verdicts(due, await sendQuantities(client, request.accountId, due, key));
      await recordPushed(db, request.accountId, pushed);
      return { unlisted, upToDate, pushed, rejected };
    });
    for (const field of ['unlisted', 'upToDate', 'pushed', 'rejected'] as const) {
      (result[field] as unknown[]).push(...batch[field]);
    }
  }
  return result;
}

export interface StockRepairRequest {
  sellerId: string;
  accountId: string;
  skuIds: string[];
  /** Names the findings: one per run and listing (a retried run records none twice). */
  runKey: string;
  /** Appended to the repair's push keys: this run's own, so a replay's push is applied, not answered from the cache. */
  pushKey: string;
}

/** What the marketplace shows per external id; one it does not know is left out of its answer. */
async function readShown(client: MarketplaceClient, accountId: string, externalIds: string[]) {
  const listings = await client.readListings(accountId, externalIds);
  return new Map(listings.map((listing) => [listing.sku, listing.quantity]));
}

type Comparison =
  { kind: 'changedMeanwhile' | 'matched' } | { kind: 'missing' | 'drifted'; shown?: number } | { kind: 'behind' };

/**
 * A listing's read-back against what it should show. A listing showing what we last pushed, while its
 * SKU moved on since, is behind (its publish is still to come), not drifted.
 */
function compare(
  listing: LockedListing,
  shown: number | undefined,
  atRead: { pushedVersion: string | null } | undefined,
): Comparison {
  if (!atRead || listing.pushedVersion !== atRead.pushedVersion) return { kind: 'changedMeanwhile' };
  if (shown === undefined) return { kind: 'missing' };
  if (shown === shownQuantity(listing)) return isBehind(listing) ? { kind: 'behind' } : { kind: 'matched' };
  if (shown === listing.quantity && isBehind(listing)) return { kind: 'behind' };
  return { kind: 'drifted', shown };
}

/** A repair's finding about one listing, under the run's key. */
function findingOf(
  request: StockRepairRequest,
  listing: LockedListing,
  fields: Pick<DriftFinding, 'outcome' | 'marketplaceQuantity' | 'detail'>,
): DriftFinding {
  return {
    runKey: request.runKey,
    sellerId: request.sellerId,
    accountId: request.accountId,
    skuId: listing.skuId,
    externalId: listing.externalId,
    expectedQuantity: shownQuantity(listing),
    ...fields,
  };
}

/** A listing the repair pushes: drifted (with what the marketplace showed) or only behind. */
interface DueListing {
  listing: LockedListing;
  drifted?: number;
}

/** Pushes the due listings in one call (forced, under the run's key) and counts and records each verdict. */
async function pushDue(
  marketplaceClient: MarketplaceClient,
  db: PoolClient,
  request: StockRepairRequest,
  due: DueListing[],
  counts: StockRepairCounts,
): Promise<DriftFinding[]> {
  const sent = due.map((d) => d.listing);
  const key = stockPushKey(request.accountId, sent, request.pushKey);
  const { pushed, rejected } = verdicts(sent, await sendQuantities(marketplaceClient, request.accountId, sent, key));
  await recordPushed(db, request.accountId, pushed);
  const errors = new Map(rejected.map((r) => [r.skuId, r.error]));
  const findings: DriftFinding[] = [];
  for (const { listing, drifted } of due) {
    const error = errors.get(listing.skuId);
    if (drifted === undefined) {
      counts[error === undefined ? 'caughtUp' : 'rejected'] += 1;
      continue;
    }
    counts[error === undefined ? 'repaired' : 'repairFailed'] += 1;
    findings.push(
      findingOf(request, listing, {
        outcome: error === undefined ? 'repaired' : 'repair_failed',
        marketplaceQuantity: drifted,
        detail: error,
      }),
    );
  }
  return findings;
}

/**
 * Reads a batch of the account's listings back from the marketplace and, under the push's locks,
 * compares each with what it should show now; pushes (forced) the drifted and the behind ones in one
 * call, and records a finding per drifted or missing listing.
 */
export async function repairStock(deps: ActivityDeps, request: StockRepairRequest): Promise<StockRepairCounts> {
  const target = await pushTarget(deps, request);
  const client = deps.marketplaces.clients[target.marketplace];
  const counts = { ...NO_STOCK_REPAIRS };
  for (const skuIds of inUpdateBatches([...new Set(request.skuIds)].sort(), target.marketplace)) {
    const atRead = await listingPushStates(deps.pool, request.accountId, skuIds);
    const externalIds = [...atRead.values()].map((listing) => listing.externalId);
    const shown = await forAccount(deps, request.accountId, () => readShown(client, request.accountId, externalIds));
    // Counted only once the batch's transaction committed (a rate-limited batch runs again).
    const batch = await underPushLocks(target, skuIds, async (marketplaceClient, db, listings) => {
      const counts = { ...NO_STOCK_REPAIRS };
      const findings: DriftFinding[] = [];
      const due: DueListing[] = [];
      for (const listing of listings) {
        const comparison = compare(listing, shown.get(listing.externalId), atRead.get(listing.skuId));
        if (comparison.kind !== 'changedMeanwhile') counts.checked += 1;
        if (comparison.kind === 'changedMeanwhile' || comparison.kind === 'matched') counts[comparison.kind] += 1;
        else if (comparison.kind === 'missing') {
          counts.missing += 1;
          findings.push(findingOf(request, listing, { outcome: 'missing_at_marketplace', marketplaceQuantity: null }));
        } else due.push({ listing, drifted: comparison.kind === 'drifted' ? comparison.shown : undefined });
      }
      if (due.length > 0) findings.push(...(await pushDue(marketplaceClient, db, request, due, counts)));
      await recordDriftFindings(db, findings);
      return counts;
    });
    for (const [name, count] of Object.entries(batch) as [keyof StockRepairCounts, number][]) counts[name] += count;
  }
  return counts;
}
