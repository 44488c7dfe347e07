/**
 * How a marketplace answer becomes a Temporal failure. The failure type tells the retry policy what
 * to do: transient faults and rate limits are retried (a 429 no sooner than its Retry-After), an
 * expired token is retried once it is renewed, and validation errors or revoked authorisation fail
 * at once. Messages name the marketplace, operation and status, never a credential: every message
 * goes through the scrubber (src/platform/scrub.ts) before it becomes a failure, because Temporal keeps
 * failure messages unencrypted in workflow history, and marketplaces quote requests in their errors.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MARKETPLACE_FAILURES } from '../contracts/failures';
import type { Marketplace } from '../contracts/marketplaces';
import { scrubText } from '../platform/scrub';

export interface CallSite {
  marketplace: Marketplace;
  operation: string;
  accountId: string;
}

const describe = (site: CallSite, what: string) =>
  scrubText(`${site.marketplace} ${site.operation} for ${site.accountId}: ${what}`);

/** What of a body a reason may quote: enough to scrub a long token whole before it is cut to size. */
const SCRUBBED_PREFIX = 2_000;
const REASON_LENGTH = 200;

/** Retry-After is either delta-seconds or an HTTP date; anything else is ignored. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A short, printable reason from an error body (marketplaces put it under `error` or `message`),
 * scrubbed before it is cut, so a cut cannot leave the part of a token that shows what it is.
 */
function reasonFrom(body: string): string {
  const short = (text: string) => scrubText(text.slice(0, SCRUBBED_PREFIX)).slice(0, REASON_LENGTH);
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const reason = parsed.error ?? parsed.message;
    if (typeof reason === 'string') return short(reason);
  } catch {
    // not JSON: fall through to the raw text
  }
  return short(body.replace(/\s+/g, ' '));
}

export function failureForResponse(site: CallSite, status: number, body: string, retryAfter: string | null): Error {
  const reason = reasonFrom(body);
  const what = `HTTP ${status}${reason ? ` (${reason})` : ''}`;
  if (status === 429) {
    const delay = retryAfterMs(retryAfter);
    return ApplicationFailure.create({
      message: describe(site, what),
      type: MARKETPLACE_FAILURES.rateLimited,
      nextRetryDelay: delay === undefined ? undefined : Math.max(delay, 1),
    });
  }
  if (status >= 500) return ApplicationFailure.retryable(describe(site, what), MARKETPLACE_FAILURES.unavailable);
  if (status === 401 && reason === 'invalid_token') {
    return ApplicationFailure.retryable(describe(site, what), MARKETPLACE_FAILURES.tokenExpired);
  }
  if (status === 401 || status === 403) {
    return ApplicationFailure.nonRetryable(describe(site, what), MARKETPLACE_FAILURES.authRevoked);
  }
  return ApplicationFailure.create({
    message: describe(site, what),
    type: MARKETPLACE_FAILURES.validation,
    nonRetryable: true,
    details: [{ httpStatus: status }],
  });
}

/** The HTTP status a validation failure was answered with (404: the marketplace does not know the thing). */
export function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof ApplicationFailure)) return undefined;
  const [detail] = error.details ?? [];
  const status = (detail as { httpStatus?: unknown } | undefined)?.httpStatus;
  return typeof status === 'number' ? status : undefined;
}

/** fetch wraps the socket's error as its cause; read both by shape (they may come from another realm). */
export function networkFailure(site: CallSite, error: unknown): Error {
  const { name, message, cause } = (error ?? {}) as { name?: string; message?: string; cause?: { message?: string } };
  const what = name === 'TimeoutError' ? 'timed out' : `network error: ${cause?.message ?? message ?? String(error)}`;
  return ApplicationFailure.retryable(describe(site, what), MARKETPLACE_FAILURES.unavailable);
}

/**
 * A 2xx answer whose body stopped coming (the connection dropped before its Content-Length):
 * transient, like any network fault, and said as such rather than as a bare socket error.
 */
export function cutOffFailure(site: CallSite, what: string, error: unknown): Error {
  const { message, cause } = (error ?? {}) as { message?: string; cause?: { message?: string } };
  return ApplicationFailure.retryable(
    describe(site, `${what}: ${cause?.message ?? message ?? String(error)}`),
    MARKETPLACE_FAILURES.unavailable,
  );
}

/**
 * A redirect answer (3xx). Never followed: fetch would send the call on with its headers and body,
 * stripping only `Authorization` across origins, so Meesho's API key, Amazon's access token or a
 * token request's secrets would reach wherever the Location points. Says where that is by its origin
 * only (a Location's path and query may carry anything), and never what the call carried.
 */
export function redirectFailure(site: CallSite, status: number, location: string | null, requestUrl: string): Error {
  return ApplicationFailure.nonRetryable(
    describe(site, `redirected (HTTP ${status}) to ${redirectTarget(location, requestUrl)}, not followed`),
    MARKETPLACE_FAILURES.redirected,
  );
}

function redirectTarget(location: string | null, requestUrl: string): string {
  if (!location) return 'no Location';
  let target: URL;
  try {
    target = new URL(location, requestUrl);
  } catch {
    return 'an invalid Location';
  }
  if (target.origin === 'null') return `a ${target.protocol} URL`;
  return target.origin === new URL(requestUrl).origin ? `${target.origin} (the same origin)` : target.origin;
}

/** An answer larger than its cap: no retry makes it smaller; the cap's setting is named to raise it. */
export function tooLargeFailure(site: CallSite, what: string, cap: { setting: string; bytes: number }): Error {
  return ApplicationFailure.nonRetryable(
    describe(site, `${what} over ${cap.setting} (${cap.bytes} bytes)`),
    MARKETPLACE_FAILURES.responseTooLarge,
  );
}

export function malformedFailure(site: CallSite, problem: string): Error {
  return ApplicationFailure.retryable(describe(site, `malformed response: ${problem}`), MARKETPLACE_FAILURES.malformed);
}

export function isFailureOfType(error: unknown, type: string): boolean {
  return error instanceof ApplicationFailure && error.type === type;
}
