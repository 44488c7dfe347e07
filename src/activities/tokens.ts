/**
 * The AJIO token flow's activities. Tokens never leave them: each activity loads the sealed
 * credentials by account id and returns only what the workflow may record (outcomes, no secrets).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { currentContext } from '../marketplaces/call-wait';
import { ApplicationFailure } from '@temporalio/common';
import { markAccountNeedsReauth } from '../db/accounts';
import { uncancellable } from '../db/cancellable';
import {
  endTokenRefreshLease,
  leaseTokenRefresh,
  loadCredentials,
  replaceCredentialsIfUnchanged,
  saveCredentials,
  type StoredCredentials,
} from '../db/credentials';
import { inTransaction } from '../db/transaction';
import { missingSecret } from '../marketplaces/access-tokens';
import { isFailureOfType } from '../marketplaces/errors';
import { scrubText } from '../platform/scrub';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import { forAccount } from './account-guard';
import type { ActivityDeps } from './activity-deps';

export interface TokenRefreshInput {
  accountId: string;
  /** When the trigger was due: a refresh stored at or after it already served this trigger. */
  dueAt: string;
  idempotencyKey: string;
}

/** A previous token is worth restoring only if it outlives the next few minutes. */
const RESTORE_MIN_REMAINING_MS = 5 * 60_000;

/** A refresh stored at or after the trigger was due already served it. */
function servesTrigger(stored: StoredCredentials, dueAt: string): boolean {
  return stored.tokenRefreshedAt !== null && stored.tokenRefreshedAt >= new Date(dueAt);
}

/** Longer than one refresh attempt may run (the tokens proxy's start-to-close): a dead refresher's lease ends. */
const REFRESH_LEASE_MS = 90_000;

/** How often a refresh waiting for another's lease looks again. */
const LEASE_POLL_MS = 250;

/** Waits in the activity (ending with CancelledFailure if it is cancelled); a plain sleep outside one. */
function pause(ms: number): Promise<void> {
  const context = currentContext();
  return context ? context.sleep(ms) : sleep(ms);
}

export function tokenActivities(deps: ActivityDeps) {
  const { pool, keyring } = deps;

  /** The stored credentials once this refresh holds the account's lease, or 'served' (lease not kept). */
  async function refreshTurn(input: TokenRefreshInput): Promise<StoredCredentials | 'served'> {
    for (;;) {
      const leased = await leaseTokenRefresh(pool, input.accountId, input.idempotencyKey, REFRESH_LEASE_MS);
      // Read after the lease is taken: a refresh that ended just before must be seen.
      const stored = await loadCredentials(pool, keyring, input.accountId).catch(async (error: unknown) => {
        if (leased) await endTokenRefreshLease(uncancellable(pool), input.accountId, input.idempotencyKey);
        throw error;
      });
      if (stored && servesTrigger(stored, input.dueAt)) {
        if (leased) await endTokenRefreshLease(pool, input.accountId, input.idempotencyKey);
        return 'served';
      }
      if (leased) {
        if (!stored?.secrets.refreshToken) {
          await endTokenRefreshLease(pool, input.accountId, input.idempotencyKey);
          throw missingSecret(input.accountId, 'AJIO refresh token');
        }
        return stored;
      }
      if (!stored) throw missingSecret(input.accountId, 'AJIO refresh token');
      await pause(LEASE_POLL_MS);
    }
  }

  /** The AJIO call, then the compare-and-set of its token (stored whatever cancels the activity now). */
  async function refreshAndStore(input: TokenRefreshInput, stored: StoredCredentials): Promise<{ refreshed: boolean }> {
    const tokens = await deps.marketplaces.ajioTokens.refresh(
      input.accountId,
      stored.secrets.refreshToken!,
      `${input.idempotencyKey}:refresh`,
    );
    const now = new Date();
    const fresh = {
      secrets: {
        ...stored.secrets,
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token ?? stored.secrets.refreshToken,
        previous: { accessToken: stored.secrets.accessToken, expiresAt: stored.tokenExpiresAt?.toISOString() ?? null },
      },
      tokenExpiresAt: new Date(now.getTime() + tokens.expires_in * 1000),
      refreshedAt: now,
    };
    // AJIO already rotated the refresh token: dropping the answer now would leave a dead one stored.
    const plain = uncancellable(pool);
    if (await replaceCredentialsIfUnchanged(plain, keyring, input.accountId, stored.version, fresh)) {
      return { refreshed: true };
    }
    const newer = await loadCredentials(plain, keyring, input.accountId);
    if (newer && servesTrigger(newer, input.dueAt)) return { refreshed: false };
    throw ApplicationFailure.retryable(
      `the AJIO credentials of ${input.accountId} were rewritten during the refresh; the newer ones stand`,
      'TokenRefreshRaced',
    );
  }

  return {
    /**
     * Refreshes at AJIO without holding the credentials row across the call: takes the account's
     * refresh lease (a concurrent refresh waits for it, then finds its trigger served and calls AJIO
     * not at all), reads the row, calls AJIO, and stores the new token compare-and-set on the row's
     * version. A write that came in between stands: if it served this trigger the refresh is a
     * no-op, otherwise it fails retryably and the next attempt starts from the newer row. (One
     * activity, because the new token may not travel through workflow history to a "store" step.)
     */
    async refreshAjioToken(input: TokenRefreshInput): Promise<{ refreshed: boolean }> {
      return forAccount(deps, input.accountId, async () => {
        const stored = await refreshTurn(input);
        if (stored === 'served') return { refreshed: false };
        try {
          return await refreshAndStore(input, stored);
        } finally {
          await endTokenRefreshLease(uncancellable(pool), input.accountId, input.idempotencyKey);
        }
      });
    },

    /**
     * A refused new token fails verification at once (no retries, no `needs_reauth` here): the saga
     * then decides between restoring the previous token and asking for re-authorisation.
     */
    async verifyAjioToken(input: { accountId: string }): Promise<void> {
      try {
        await deps.marketplaces.clients.ajio.verify(input.accountId);
      } catch (error) {
        const refused = [MARKETPLACE_FAILURES.tokenExpired, MARKETPLACE_FAILURES.authRevoked].some((type) =>
          isFailureOfType(error, type),
        );
        if (!refused) throw error;
        throw ApplicationFailure.nonRetryable(
          `AJIO refused the new token of ${input.accountId}: ${scrubText((error as Error).message)}`,
          'TokenVerificationFailed',
        );
      }
    },

    /**
     * The refresh's compensation: put the previous access token back while it is still valid (the
     * rotated refresh token stays: the old one is dead at AJIO), otherwise mark the account
     * `needs_reauth` so a person re-authorises it.
     */
    async restorePreviousAjioToken(input: { accountId: string }): Promise<'restored' | 'needs_reauth'> {
      return inTransaction(pool, async (client) => {
        const stored = await loadCredentials(client, keyring, input.accountId, { lock: true });
        if (!stored) throw ApplicationFailure.nonRetryable(`account ${input.accountId} has no credentials`);
        const { previous, ...current } = stored.secrets;
        const expiresAt = previous?.expiresAt ? new Date(previous.expiresAt) : undefined;
        if (previous?.accessToken && expiresAt && expiresAt.getTime() - Date.now() > RESTORE_MIN_REMAINING_MS) {
          await saveCredentials(
            client,
            keyring,
            input.accountId,
            { ...current, accessToken: previous.accessToken },
            expiresAt,
          );
          return 'restored';
        }
        await markAccountNeedsReauth(client, input.accountId);
        return 'needs_reauth';
      });
    },
  };
}
