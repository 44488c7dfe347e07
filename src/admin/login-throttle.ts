/**
 * Sign-in attempts per client address: after `LOGIN_FAILURES_ALLOWED` wrong tokens within
 * `LOGIN_FAILURE_WINDOW_MS`, every attempt from that address (a right token too, or a guesser would
 * learn from the answer) is refused until the oldest of those failures is a window old. Kept in this
 * process: each admin replica counts its own.
 */
export const LOGIN_FAILURES_ALLOWED = 5;
export const LOGIN_FAILURE_WINDOW_MS = 60_000;
/** Addresses remembered at most; beyond it the longest-quiet are forgotten (a flood of addresses cannot fill memory). */
const ADDRESSES_KEPT = 10_000;

export interface LoginThrottle {
  /** Milliseconds until `address` may try again; 0 if it may now. */
  waitFor(address: string): number;
  recordFailure(address: string): void;
}

export function createLoginThrottle(now: () => number = Date.now): LoginThrottle {
  /** Failure times per address, oldest first; Map order is the order addresses last failed. */
  const failures = new Map<string, number[]>();

  const recent = (address: string) => {
    const since = now() - LOGIN_FAILURE_WINDOW_MS;
    const times = (failures.get(address) ?? []).filter((time) => time > since);
    if (times.length === 0) failures.delete(address);
    return times;
  };

  return {
    waitFor(address) {
      const times = recent(address);
      if (times.length < LOGIN_FAILURES_ALLOWED) return 0;
      return times[times.length - LOGIN_FAILURES_ALLOWED]! + LOGIN_FAILURE_WINDOW_MS - now();
    },
    recordFailure(address) {
      const times = [...recent(address), now()].slice(-LOGIN_FAILURES_ALLOWED);
      failures.delete(address);
      failures.set(address, times);
      if (failures.size > ADDRESSES_KEPT) failures.delete(failures.keys().next().value!);
    },
  };
}
