/**
 * An AJIO access token the marketplace calls expired is renewed only by the token-refresh workflow
 * (AJIO rotates refresh tokens, so refreshes must never race). An activity that meets one asks for
 * that refresh and waits for it, instead of spending its retries on a token nothing renews.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import { newEnvelope } from '../contracts/envelope';
import { tokenTimes } from '../db/credentials';
import { scrubText } from '../platform/scrub';
import type { ActivityDeps } from './activity-deps';

/**
 * How long an activity waits, per attempt, for the refresh it asked for: the refresh travels in its
 * own FIFO group (`token:<account>`), so it is received at once and takes seconds (a token call and a
 * verify call). The reads' 8 attempts give it minutes.
 */
export const TOKEN_REFRESH_WAIT_MS = 30_000;

/**
 * The refresh request's idempotency key: the account and the generation of the token that expired
 * (its stored expiry), so every activity that meets the same expired token asks for the same refresh:
 * one message (the FIFO dedup id), one workflow (its id), one call at AJIO.
 */
export function expiredTokenRefreshKey(accountId: string, tokenExpiresAt: Date | null): string {
  return `ajio.token-refresh:${accountId}:expired:${tokenExpiresAt?.getTime() ?? 'unknown'}`;
}

/**
 * The failure to throw for `expired`, an AJIO tokenExpired failure of work that started at
 * `startedAt`. When a newer token was stored since, the retry will use it: `expired` goes on as it
 * is. Otherwise a refresh of the stored token is requested, and the retry waits for it.
 */
export async function awaitTokenRefresh(
  deps: ActivityDeps,
  accountId: string,
  startedAt: Date,
  expired: ApplicationFailure,
): Promise<ApplicationFailure> {
  const stored = await tokenTimes(deps.pool, accountId);
  if (!stored || (stored.tokenRefreshedAt && stored.tokenRefreshedAt > startedAt)) return expired;
  const idempotencyKey = expiredTokenRefreshKey(accountId, stored.tokenExpiresAt);
  const requested = await deps
    .sendMessage(
      newEnvelope({
        type: 'ajio.token-refresh',
        accountId,
        marketplace: 'ajio',
        idempotencyKey,
        dueAt: new Date().toISOString(),
      }),
    )
    .then(
      () => `token refresh ${idempotencyKey} requested`,
      (error: Error) => `token refresh ${idempotencyKey} could not be requested (${scrubText(error.message)})`,
    );
  return ApplicationFailure.create({
    message: `${expired.message}; ${requested}; retrying in ${TOKEN_REFRESH_WAIT_MS / 1000} s`,
    type: MARKETPLACE_FAILURES.tokenExpired,
    nextRetryDelay: TOKEN_REFRESH_WAIT_MS,
  });
}
