import { ApplicationFailure } from '@temporalio/common';
import { accountStanding, markAccountNeedsReauth } from '../db/accounts';
import { isFailureOfType } from '../marketplaces/errors';
import { ACCOUNT_FAILURES, MARKETPLACE_FAILURES } from '../contracts/failures';
import type { ActivityDeps } from './activity-deps';

/**
 * Refuses, for good, work for an account that does not exist or is disabled: a message can outlive
 * its account's enabled state (sent just before, replayed from a DLQ) or name an account that never
 * was, and no retry changes either.
 */
export async function requireActiveAccount(deps: ActivityDeps, accountId: string): Promise<void> {
  const standing = await accountStanding(deps.pool, accountId);
  if (!standing) throw ApplicationFailure.nonRetryable(`account ${accountId} does not exist`, ACCOUNT_FAILURES.unknown);
  if (!standing.enabled) {
    throw ApplicationFailure.nonRetryable(`account ${accountId} is disabled`, ACCOUNT_FAILURES.disabled);
  }
}

/**
 * Runs work for an account: only for an existing, enabled one (nothing reaches a marketplace or the
 * account's rows otherwise); when the marketplace says its authorisation is revoked, the account is
 * marked `needs_reauth` (the sweeps then skip it) before the failure goes on.
 */
export async function forAccount<T>(deps: ActivityDeps, accountId: string, work: () => Promise<T>): Promise<T> {
  await requireActiveAccount(deps, accountId);
  try {
    return await work();
  } catch (error) {
    if (isFailureOfType(error, MARKETPLACE_FAILURES.authRevoked)) await markAccountNeedsReauth(deps.pool, accountId);
    throw error;
  }
}
