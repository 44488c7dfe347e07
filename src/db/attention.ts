/**
 * Dispatch work waiting for a person: claims flagged because SQS never accepted them within a day,
 * and schedules the scheduling sweep cannot run (unknown kind, malformed cadence). The metrics role
 * counts them for the alarms; the DLQ command and the admin app list them.
 */
import type { Pool } from 'pg';

export interface FlaggedClaim {
  idempotencyKey: string;
  accountId: string;
  queue: string;
  messageType: string;
  scheduleId: string | null;
  reason: string | null;
  attempts: number;
  lastError: string | null;
  /** When the claim was made: unsent since then. */
  claimedAt: Date;
  /** When it was flagged; null for a row flagged before that was recorded. */
  since: Date | null;
}

export interface FlaggedSchedule {
  id: string;
  accountId: string;
  kind: string;
  reason: string | null;
  since: Date | null;
}

export interface AttentionSummary {
  claims: FlaggedClaim[];
  schedules: FlaggedSchedule[];
}

/** Enough to act on; the counts (attentionCounts) are exact whatever this limit. */
export const ATTENTION_LIST_LIMIT = 500;

export async function attentionCounts(pool: Pool): Promise<{ claims: number; schedules: number }> {
  const { rows } = await pool.query<{ claims: number; schedules: number }>(
    `SELECT (SELECT count(*) FROM dispatch_claims WHERE needs_attention)::int AS claims,
            (SELECT count(*) FROM schedules WHERE needs_attention)::int AS schedules`,
  );
  return rows[0]!;
}

/**
 * The flagged claims and schedules, oldest first; with `accountIds`, only these accounts' (one
 * seller's, say), else all of them.
 */
export async function attentionSummary(
  pool: Pool,
  limit = ATTENTION_LIST_LIMIT,
  accountIds?: readonly string[],
): Promise<AttentionSummary> {
  const ofAccounts = accountIds ?? null;
  const [claims, schedules] = await Promise.all([
    pool.query(
      `SELECT idempotency_key, account_id, queue, message_type, schedule_id, attention_reason, attempts, last_error,
              claimed_at, attention_since
         FROM dispatch_claims WHERE needs_attention AND ($2::text[] IS NULL OR account_id = ANY($2))
        ORDER BY claimed_at, idempotency_key LIMIT $1`,
      [limit, ofAccounts],
    ),
    pool.query(
      `SELECT id, account_id, kind, attention_reason, attention_since
         FROM schedules WHERE needs_attention AND ($2::text[] IS NULL OR account_id = ANY($2))
        ORDER BY id LIMIT $1`,
      [limit, ofAccounts],
    ),
  ]);
  return {
    claims: claims.rows.map((row) => ({
      idempotencyKey: row.idempotency_key,
      accountId: row.account_id,
      queue: row.queue,
      messageType: row.message_type,
      scheduleId: row.schedule_id === null ? null : String(row.schedule_id),
      reason: row.attention_reason,
      attempts: row.attempts,
      lastError: row.last_error,
      claimedAt: row.claimed_at,
      since: row.attention_since,
    })),
    schedules: schedules.rows.map((row) => ({
      id: String(row.id),
      accountId: row.account_id,
      kind: row.kind,
      reason: row.attention_reason,
      since: row.attention_since,
    })),
  };
}
