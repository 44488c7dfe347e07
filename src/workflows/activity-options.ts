/**
 * Activity proxies, one per kind of work, each with its own timeouts and retry policy. A failure an
 * activity marks non-retryable (validation, revoked authorisation) fails at once whatever the policy.
 */
import {
  ActivityCancellationType,
  proxyActivities,
  type ActivityFunction,
  type ActivityFunctionWithOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Runs an activity of one of the proxies below with a one-line summary of this call, which the Temporal
 * UI shows on its events (`push quantity batch 2/5 to Flipkart (10 SKUs)`). The summary travels as
 * user metadata of the schedule command: replay does not compare it, so runs recorded without one
 * still replay.
 */
export function withSummary<F extends ActivityFunction>(
  activity: ActivityFunctionWithOptions<F>,
  summary: string,
  ...args: Parameters<F>
): Promise<Awaited<ReturnType<F>>> {
  return activity.executeWithOptions({ summary }, args);
}

/**
 * A cancelled workflow waits for a forward step in flight to finish (or acknowledge the cancel) before
 * it compensates: a push or reservation still on its way cannot land after its undo.
 */
const WAIT_FOR_STEP_IN_FLIGHT = { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };

/**
 * PostgreSQL only: quick, and retried while the database is briefly away. The heartbeat timeout lets
 * a cancel reach a step stuck on a lock or a slow query (the worker heartbeats it every few seconds,
 * call-wait.ts): its statement is cancelled on the server and its transaction rolled back.
 */
export const database = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', maximumAttempts: 10 },
  ...WAIT_FOR_STEP_IN_FLIGHT,
});

/**
 * Steps that must never be undone or given up: a saga's commit (once every marketplace shows the
 * change, it must be recorded) and its bookkeeping (saga_runs). Retried without limit, at most every
 * 30 seconds, through a PostgreSQL fail-over or restart of any length.
 */
export const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  ...WAIT_FOR_STEP_IN_FLIGHT,
});

/**
 * One marketplace call (a listing read or update): transient faults are retried with backoff. A 429
 * is waited out inside the attempt, heartbeating, for up to 3 minutes of waits in all
 * (`CALL_WAIT_BUDGET_MS`, src/marketplaces/call-wait.ts), so a rate-limit storm spends no attempts;
 * a longer wait is passed on as the next retry delay. Start-to-close leaves room for that budget and
 * the calls; the heartbeat timeout notices a dead worker within a minute. A cancel reaches the step at
 * its next heartbeat (every few seconds) and aborts its call in flight.
 */
export const marketplace = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
  ...WAIT_FOR_STEP_IN_FLIGHT,
});

/** Paged reads store page by page and heartbeat; a stalled one is noticed within a minute. */
export const reads = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** Document downloads can be long: bounded by heartbeats, not by a short start-to-close. */
export const downloads = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

/**
 * The token refresh: one AJIO call, then a compare-and-set of the credentials row (no lock is held
 * across the call). Heartbeated so a cancel reaches it during the call.
 */
export const tokens = proxyActivities<Activities>({
  startToCloseTimeout: '90 seconds',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/**
 * Compensations: patient, since an undo that gives up leaves the saga needing a person. Each runs
 * once per step; only its own retries repeat it.
 */
export const compensations = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});
