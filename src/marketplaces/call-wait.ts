/**
 * Waiting inside the activity instead of handing the wait to Temporal: a 429's Retry-After, or our
 * own limiter's turn, is waited out in process while heartbeating, and the call is made again, so a
 * rate-limit storm does not spend the step's attempts (an attempt that fails on a 429 is one of its
 * `maximumAttempts`). The waits of one activity attempt share one budget (`CALL_WAIT_BUDGET_MS`, and
 * never past the attempt's own start-to-close); a wait beyond it fails the call retryably, with the
 * wait as Temporal's next retry delay, as before.
 *
 * Outside an activity (scripts, tests calling a client directly) each call has a budget of its own
 * and simply sleeps.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { MARKETPLACE_FAILURES } from '../contracts/failures';

/** Longest one activity attempt waits in process for rate limits, all its calls together. */
export const CALL_WAIT_BUDGET_MS = 3 * 60_000;

/** Heartbeat at least this often while waiting (well inside any heartbeat timeout we set). */
const HEARTBEAT_SLICE_MS = 5_000;

/**
 * The worker sends an activity's heartbeats at most this often (Worker `maxHeartbeatThrottleInterval`;
 * the SDK's default is 80 % of the heartbeat timeout, 48 s for a marketplace call): a cancel arrives
 * in a heartbeat's answer, so this bounds how long a cancelled activity goes on.
 */
export const HEARTBEAT_THROTTLE = '2 seconds';

/** Room left at the end of an attempt for the call the wait was for. */
const CALL_MARGIN_MS = 5_000;

/**
 * Inside a scope that holds locks (a push's), a call waits at most this long in all for its turn, and
 * a 429 is not waited out there: the caller lets go of its locks and waits outside them
 * (`outlastRateLimits`).
 */
export const WAIT_UNDER_LOCKS_MS = 5_000;

const underLocks = new AsyncLocalStorage<{ waitedMs: number }>();

/** Runs `work` (which holds locks) with the calls' in-process waits kept short. */
export function withShortWaits<T>(work: () => Promise<T>): Promise<T> {
  return underLocks.run({ waitedMs: 0 }, work);
}

export interface WaitBudget {
  /** Whether a wait of `ms` still fits. */
  allows(ms: number): boolean;
  /** Whether a 429 may be waited out and the call sent again here (not while holding locks). */
  readonly retriesRateLimits: boolean;
  /** Waits `ms` (heartbeating, and failing with CancelledFailure once the activity is cancelled). */
  wait(ms: number): Promise<void>;
  /** Tells Temporal the attempt is alive before a call (no-op outside an activity). */
  alive(): void;
}

interface AttemptState {
  /** When the attempt's start-to-close runs out. */
  endsAt: number;
  /** When the waits' budget runs out. */
  budgetEndsAt: number;
  /** What the activity last heartbeated: a wait's heartbeat repeats it, so no checkpoint is lost. */
  details: unknown;
}

const attempts = new WeakMap<Context, AttemptState>();

/** The running activity's context; undefined outside an activity (a script, a test calling the code). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Temporal keeps only the last heartbeat's details, and a heartbeat without them would erase an
 * activity's checkpoint (a sync's page). So the attempt's heartbeat is wrapped to remember what the
 * activity sends: from its start when the worker has the `rememberHeartbeats` interceptor, else from
 * its first marketplace call. Before anything is sent, Temporal holds the previous attempt's details.
 */
function attemptState(context: Context): AttemptState {
  let state = attempts.get(context);
  if (state) return state;
  const { info } = context;
  state = {
    endsAt: info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs,
    budgetEndsAt: Date.now() + CALL_WAIT_BUDGET_MS,
    details: info.heartbeatDetails,
  };
  const tracked = state;
  const original = context.heartbeat;
  (context as { heartbeat: (details?: unknown) => void }).heartbeat = (details?: unknown) => {
    tracked.details = details;
    original(details);
  };
  attempts.set(context, state);
  return state;
}

/**
 * The running activity's cancellation signal (undefined outside an activity): passed to every
 * marketplace call and PostgreSQL statement, so a cancelled activity stops what it is doing.
 */
export function currentCancellation(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/**
 * What an operation cut off by `signal` must fail with: the SDK's CancelledFailure (the signal's
 * reason), so the activity ends cancelled, not as a network or database failure to retry.
 */
export function cancellationOf(signal: AbortSignal | undefined, error: unknown): unknown {
  return signal?.aborted ? signal.reason : error;
}

/**
 * A worker's activity interceptor: every attempt's heartbeats are remembered from its start; an
 * activity with a heartbeat timeout heartbeats (what it last sent) every few seconds while it runs,
 * whatever it is waiting on (a marketplace call, a query, a lock), since a cancel reaches an activity
 * only in the answer to a heartbeat; and a cancelled activity ends with the SDK's CancelledFailure.
 */
export const rememberHeartbeats: ActivityInterceptorsFactory = (context) => {
  const state = attemptState(context);
  const beats = Boolean(context.info.heartbeatTimeoutMs);
  return {
    inbound: {
      async execute(input, next) {
        const ticker = beats ? setInterval(() => context.heartbeat(state.details), HEARTBEAT_SLICE_MS) : undefined;
        try {
          return await next(input);
        } catch (error) {
          // Whatever a cancelled activity fails with (a call's timeout, a statement's cancel, a 503
          // heard after the cancel), it ends cancelled: a saga compensates a cancel, whereas a
          // retryable failure would end it "retries spent" with nothing undone.
          throw cancellationOf(context.cancellationSignal, error);
        } finally {
          clearInterval(ticker);
        }
      },
    },
  };
};

export function waitBudget(callTimeoutMs: number): WaitBudget {
  const budget = attemptBudget(callTimeoutMs);
  const locks = underLocks.getStore();
  if (!locks) return budget;
  return {
    retriesRateLimits: false,
    alive: budget.alive,
    allows: (ms) => locks.waitedMs + ms <= WAIT_UNDER_LOCKS_MS && budget.allows(ms),
    wait: async (ms) => {
      locks.waitedMs += ms;
      await budget.wait(ms);
    },
  };
}

function attemptBudget(callTimeoutMs: number): WaitBudget {
  const context = currentContext();
  if (!context) {
    const deadline = Date.now() + CALL_WAIT_BUDGET_MS;
    return {
      retriesRateLimits: true,
      allows: (ms) => Date.now() + ms <= deadline,
      wait: (ms) => sleep(ms),
      alive: () => undefined,
    };
  }
  const state = attemptState(context);
  const deadline = Math.min(state.budgetEndsAt, state.endsAt - callTimeoutMs - CALL_MARGIN_MS);
  // Heartbeating where no heartbeat timeout is set is pointless (and the SDK asks us not to).
  const beats = context.info.heartbeatTimeoutMs !== undefined;
  const beat = () => {
    if (beats) context.heartbeat(state.details);
  };
  return {
    retriesRateLimits: true,
    allows: (ms) => Date.now() + ms <= deadline,
    alive: beat,
    async wait(ms) {
      for (const end = Date.now() + ms; Date.now() < end;) {
        beat();
        await context.sleep(Math.min(HEARTBEAT_SLICE_MS, end - Date.now()));
      }
      beat();
    },
  };
}

/** The wait a retryable rate-limit failure asks for (its next retry delay), if it is one. */
function rateLimitWaitOf(error: unknown): number | undefined {
  if (!(error instanceof ApplicationFailure) || error.type !== MARKETPLACE_FAILURES.rateLimited) return undefined;
  const delay = error.nextRetryDelay;
  if (delay === undefined || delay === null) return 1_000;
  return typeof delay === 'number' ? delay : msToNumber(delay);
}

/**
 * Runs `work` again after each rate-limit failure whose wait fits this attempt's budget, waiting
 * (heartbeating) in between; for work that must let go of its locks before it waits (a push). `work`
 * must be safe to run again: it failed before the marketplace applied anything.
 */
export async function outlastRateLimits<T>(callTimeoutMs: number, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await work();
    } catch (error) {
      const ms = rateLimitWaitOf(error);
      const budget = attemptBudget(callTimeoutMs);
      if (ms === undefined || !budget.allows(ms)) throw error;
      await budget.wait(ms);
    }
  }
}
