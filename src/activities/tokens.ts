/**
 * The AJIO token flow's activities. Tokens never leave them: each activity loads the sealed
 * credentials by account id and returns only what the workflow may record (outcomes, no secrets).
 */
import { ApplicationFailure } from '@temporalio/common';
import { markAccountNeedsReauth } from '../db/accounts';
import { loadCredentials, saveCredentials } from '../db/credentials';
import { inTransaction } from '../db/transaction';
import { missingSecret } from '../marketplaces/access-tokens';
import { isFailureOfType } from '../marketplaces/errors';
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

export function tokenActivities(deps: ActivityDeps) {
  const { pool, keyring } = deps;
  return {
    /**
     * Refreshes at AJIO and stores the new token in one transaction that holds the account's
     * credentials row: a concurrent refresh of the same account waits, then finds the token already
     * refreshed after its trigger and calls AJIO not at all. (One activity, because the new token may
     * not travel through workflow history to a separate "store" step.)
     */
    async refreshAjioToken(input: TokenRefreshInput): Promise<{ refreshed: boolean }> {
      return forAccount(deps, input.accountId, () =>
        inTransaction(pool, async (client) => {
          await client.query("SET LOCAL lock_timeout = '30s'");
          const stored = await loadCredentials(client, keyring, input.accountId, { lock: true });
          if (!stored?.secrets.refreshToken) throw missingSecret(input.accountId, 'AJIO refresh token');
          if (stored.tokenRefreshedAt && stored.tokenRefreshedAt >= new Date(input.dueAt)) return { refreshed: false };
          const tokens = await deps.marketplaces.ajioTokens.refresh(
            input.accountId,
            stored.secrets.refreshToken,
            `${input.idempotencyKey}:refresh`,
          );
          const now = new Date();
          const secrets = {
            ...stored.secrets,
            accessToken: tokens.access_token,
            refreshToken: tokens.refresh_token ?? stored.secrets.refreshToken,
            previous: {
              accessToken: stored.secrets.accessToken,
              expiresAt: stored.tokenExpiresAt?.toISOString() ?? null,
            },
          };
          const expiresAt = new Date(now.getTime() + tokens.expires_in * 1000);
          await saveCredentials(client, keyring, input.accountId, secrets, expiresAt, now);
          return { refreshed: true };
        }),
      );
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
          `AJIO refused the new token of ${input.accountId}: ${(error as Error).message}`,
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
