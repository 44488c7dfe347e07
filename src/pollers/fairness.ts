/**
 * Per-seller fairness on the shared task queues. Temporal's matching service dispatches the backlog
 * of a task queue key by key, in proportion to each key's weight, when the server runs with fairness
 * on (docs/operations.md, "Fairness"); a server without it ignores the key and stays FIFO. The key is
 * set once, at the workflow's start: its activities and child workflows inherit it, so one seller's
 * flood of activities cannot starve another seller's on the same task queue.
 */
import type { Priority } from '@temporalio/common';
import type { Envelope } from '../contracts/envelope';

/**
 * The tenant a message's work is shared fairly by: its seller. Inventory work always names it, and the
 * sweeps and the outbox set it on every message; a message from another producer that leaves it out
 * falls back to its account rather than look the seller up on the hot path. Such an account gets a
 * share of its own instead of its seller's, which is still fair between tenants, only finer. Both ids
 * are at most 64 characters (ACCOUNT_ID_PATTERN), Temporal's limit for a fairness key.
 */
export function fairnessKeyFor({ sellerId, accountId }: Pick<Envelope, 'sellerId' | 'accountId'>): string {
  return sellerId ?? accountId;
}

/** The start option that carries the key: every seller at the default weight (1.0). */
export function fairnessStartOptions(envelope: Pick<Envelope, 'sellerId' | 'accountId'>): { priority: Priority } {
  return { priority: { fairnessKey: fairnessKeyFor(envelope) } };
}
