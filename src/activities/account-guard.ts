import { markAccountNeedsReauth } from '../db/accounts';
import { isFailureOfType, MARKETPLACE_FAILURES } from '../marketplaces/errors';
import type { ActivityDeps } from './deps';

/**
 * Runs marketplace work for an account; when the marketplace says its authorisation is revoked, the
 * account is marked `needs_reauth` (the sweeps then skip it) before the failure goes on.
 */
export async function forAccount<T>(deps: ActivityDeps, accountId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isFailureOfType(error, MARKETPLACE_FAILURES.authRevoked)) await markAccountNeedsReauth(deps.pool, accountId);
    throw error;
  }
}
