/**
 * How each marketplace call is authenticated. Secrets come from the encrypted credential store by
 * account id, only inside activities, and only ever travel in request headers: never in a workflow
 * input, result, heartbeat or log.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { AccountSecrets } from '../db/credentials';

export type Headers = Record<string, string>;

export interface Authenticator {
  headers(accountId: string): Promise<Headers>;
  /** The marketplace rejected the token: the next call must get a fresh one. */
  forget(accountId: string): void;
}

/** Loads an account's secrets; fails non-retryably when the account has none. */
export type SecretsSource = (accountId: string) => Promise<AccountSecrets>;

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  refresh_token: z.string().min(1).optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export function missingSecret(accountId: string, what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`account ${accountId} has no ${what} stored`, 'MissingCredentials');
}

/**
 * One in-flight `load` per key in this process: concurrent callers for the same account share it
 * (8 concurrent calls → 1 token request, 1 credential read), and the next caller after it settles
 * starts a new one. A failure reaches every caller that shared it.
 */
export function singleFlight<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const inFlight = new Map<string, Promise<T>>();
  return (key) => {
    let pending = inFlight.get(key);
    if (!pending) {
      pending = load(key).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}

/**
 * A secret stored with the account and sent as one header (AJIO's access token, Meesho's API key).
 * Read from the store per call (a rotated AJIO token is seen at once), but one read per account at a
 * time.
 */
export function storedSecretHeader(
  secrets: SecretsSource,
  pick: (stored: AccountSecrets) => string | undefined,
  what: string,
  header: (value: string) => Headers,
): Authenticator {
  const load = singleFlight(secrets);
  return {
    async headers(accountId) {
      const value = pick(await load(accountId));
      if (!value) throw missingSecret(accountId, what);
      return header(value);
    },
    forget: () => undefined,
  };
}

/** Refresh this long before expiry, so no call starts with a token about to lapse. */
const EARLY_REFRESH_MS = 5 * 60_000;

/**
 * Short-lived access tokens (Amazon LWA, Flipkart client credentials) obtained on demand and kept in
 * this process's memory until shortly before they expire; never written anywhere.
 */
export function cachedAccessToken(
  obtain: (accountId: string) => Promise<TokenResponse>,
  header: (token: string) => Headers,
): Authenticator {
  const cache = new Map<string, { token: string; refreshAt: number }>();
  // Concurrent calls of one account without a token share one token request.
  const renew = singleFlight(async (accountId) => {
    const fresh = await obtain(accountId);
    const lifetimeMs = fresh.expires_in * 1000;
    cache.set(accountId, {
      token: fresh.access_token,
      refreshAt: Date.now() + Math.max(lifetimeMs - EARLY_REFRESH_MS, lifetimeMs / 2),
    });
    return fresh.access_token;
  });
  return {
    async headers(accountId) {
      const cached = cache.get(accountId);
      if (cached && cached.refreshAt > Date.now()) return header(cached.token);
      return header(await renew(accountId));
    },
    forget: (accountId) => cache.delete(accountId),
  };
}

/** A token request's idempotency key: one per account per minute, so a retry replays, never re-mints. */
export function tokenRequestKey(marketplace: string, accountId: string, now = new Date()): string {
  return `token:${marketplace}:${accountId}:${now.toISOString().slice(0, 16)}`;
}
