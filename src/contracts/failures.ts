/**
 * Failure type names (ApplicationFailure.type) that activities throw and workflows, retry policies and
 * operators match on, spelled here once; and how to read the reason out of a wrapped failure.
 */

export const MARKETPLACE_FAILURES = {
  unavailable: 'MarketplaceUnavailable',
  rateLimited: 'MarketplaceRateLimited',
  tokenExpired: 'MarketplaceTokenExpired',
  authRevoked: 'MarketplaceAuthRevoked',
  validation: 'MarketplaceValidation',
  malformed: 'MarketplaceMalformedResponse',
  /** A redirect answer: never followed, so the call's credentials go nowhere but its own origin. */
  redirected: 'MarketplaceRedirected',
  /** An answer over its size cap (MARKETPLACE_MAX_JSON_BYTES, DOCUMENT_MAX_BYTES). */
  responseTooLarge: 'MarketplaceResponseTooLarge',
} as const;

/** Failure types no retry can fix; workflows list them as non-retryable too. */
export const NON_RETRYABLE_MARKETPLACE_FAILURES = [
  MARKETPLACE_FAILURES.authRevoked,
  MARKETPLACE_FAILURES.validation,
  MARKETPLACE_FAILURES.redirected,
  MARKETPLACE_FAILURES.responseTooLarge,
];

/** Work for an account no retry can serve: it does not exist, it is disabled, or it must be re-authorised. */
export const ACCOUNT_FAILURES = {
  unknown: 'UnknownAccount',
  disabled: 'AccountDisabled',
  needsReauth: 'AccountNeedsReauth',
} as const;

/**
 * Work refused for a state of its account that an operator can change (enable it, re-authorise it):
 * parked in the DLQ, to be replayed once the account can be served again, never completed or dropped.
 */
export const PARKING_FAILURES: readonly string[] = [
  ACCOUNT_FAILURES.disabled,
  ACCOUNT_FAILURES.needsReauth,
  // The marketplace revoked the account's authorisation: the account is marked needs_reauth on the
  // spot, so the work that found out waits for the re-authorisation like the work after it.
  MARKETPLACE_FAILURES.authRevoked,
];

/**
 * Work that would touch what is not its seller's: a SKU of another seller's catalogue, or an account
 * of another seller. Refused for good: no retry or replay can make it the seller's.
 */
export const SELLER_FAILURES = {
  unknownSku: 'UnknownSku',
  foreignSku: 'ForeignSku',
  foreignAccount: 'ForeignAccount',
} as const;

/**
 * Refusals a saga ends its workflow with once it has compensated, so the message is dead-lettered
 * with the reason rather than completed: the seller failures, which no retry or replay can change.
 */
export const REFUSED_FOR_GOOD: readonly string[] = Object.values(SELLER_FAILURES);

/**
 * How a saga's workflow fails once it has compensated a business failure (non-retryable, so the poller
 * dead-letters the message at once), and how it fails when a step's retryable trouble spent its
 * attempts (retryable: nothing was undone, the poller runs the message again later).
 */
export const SAGA_FAILURES = {
  compensated: 'SagaCompensated',
  needsAttention: 'SagaNeedsAttention',
  retriesSpent: 'SagaStepRetriesSpent',
} as const;

/** A document listed under an id unsafe as a file name: recorded as rejected, never fetched. */
export const DOCUMENT_FAILURES = {
  invalidId: 'InvalidDocumentId',
  /** Some of a run's documents failed every attempt (the others were stored): retried as a message. */
  notDownloaded: 'DocumentsNotDownloaded',
} as const;

/** The innermost cause of a failure chain (an ActivityFailure wraps the activity's own ApplicationFailure). */
export function innermostCause(error: unknown): unknown {
  let current = error as { cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current;
}

/** The innermost message: what actually went wrong, for a saga's record and the Temporal UI. */
export function failureReason(error: unknown): string {
  const cause = innermostCause(error) as { message?: string } | undefined;
  return cause?.message ?? String(error);
}
