import { ApplicationFailure } from '@temporalio/common';
import { accountStanding, markAccountNeedsReauth, type AccountStanding } from '../db/accounts';
import { isFailureOfType } from '../marketplaces/errors';
import { ACCOUNT_FAILURES, MARKETPLACE_FAILURES } from '../contracts/failures';
import type { ActivityDeps } from './activity-deps';
import { awaitTokenRefresh } from './token-expiry';

/**
 * Refuses, non-retryably, work for an account that does not exist, is disabled or must be
 * re-authorised: a message can outlive its account's state (sent just before, replayed from a DLQ)
 * or name an account that never was, and no retry changes either. The last two are parking failures
 * (PARKING_FAILURES): the work waits in the DLQ until an operator enables or re-authorises the account.
 */
export async function requireActiveAccount(deps: ActivityDeps, accountId: string): Promise<AccountStanding> {
  const standing = await accountStanding(deps.pool, accountId);
  if (!standing) throw ApplicationFailure.nonRetryable(`account ${accountId} does not exist`, ACCOUNT_FAILURES.unknown);
  if (!standing.enabled) {
    throw ApplicationFailure.nonRetryable(`account ${accountId} is disabled`, ACCOUNT_FAILURES.disabled);
  }
  if (standing.status === 'needs_reauth') {
    throw ApplicationFailure.nonRetryable(
      `account ${accountId} needs re-authorisation by the seller`,
      ACCOUNT_FAILURES.needsReauth,
    );
  }
  return standing;
}

/**
 * Runs work for an account: only for an existing, enabled, authorised one (nothing reaches a
 * marketplace or the account's rows otherwise). When the marketplace says the authorisation is
 * revoked, the account is marked `needs_reauth` (the sweeps then skip it) before the failure goes
 * on; when AJIO says the access token expired, a token refresh is requested and the retry waits for it.
 */
export async function forAccount<T>(deps: ActivityDeps, accountId: string, work: () => Promise<T>): Promise<T> {
  const { marketplace } = await requireActiveAccount(deps, accountId);
  const startedAt = new Date();
  try {
    return await work();
  } catch (error) {
    if (isFailureOfType(error, MARKETPLACE_FAILURES.authRevoked)) await markAccountNeedsReauth(deps.pool, accountId);
    if (marketplace === 'ajio' && isFailureOfType(error, MARKETPLACE_FAILURES.tokenExpired)) {
      throw await awaitTokenRefresh(deps, accountId, startedAt, error as ApplicationFailure);
    }
    throw error;
  }
}
