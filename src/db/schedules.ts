import type { ClientBase } from 'pg';
import type { Marketplace } from '../contracts/marketplaces';

export interface DueSchedule {
  id: string;
  accountId: string;
  /** The seller the account belongs to. */
  sellerId: string;
  kind: string;
  cadence: string;
  payload: Record<string, unknown>;
  nextRunAt: Date;
  marketplace: Marketplace;
  accountEnabled: boolean;
  accountStatus: string;
  hasCredentials: boolean;
}

export interface ScheduleCursor {
  nextRunAt: Date;
  id: string;
}

/** Before any schedule: next_run_at values are real dates, ids start at 1. */
export const START_CURSOR: ScheduleCursor = { nextRunAt: new Date('1970-01-01T00:00:00Z'), id: '0' };

/**
 * Locks the next page of due schedules in (next_run_at, id) order, skipping rows another sweep holds.
 * Keyset pagination keeps memory flat however many rows are due, and lets the sweep walk past rows
 * it leaves alone (deferred for backpressure) without seeing them again.
 */
export async function lockDueSchedules(
  client: ClientBase,
  now: Date,
  after: ScheduleCursor,
  limit: number,
): Promise<DueSchedule[]> {
  const { rows } = await client.query(
    `SELECT s.id, s.account_id, a.seller_id, s.kind, s.cadence, s.payload, s.next_run_at,
            a.marketplace, a.enabled AS account_enabled, a.status AS account_status,
            EXISTS (SELECT 1 FROM account_credentials c WHERE c.account_id = s.account_id) AS has_credentials
       FROM schedules s
       JOIN seller_accounts a ON a.id = s.account_id
      WHERE s.enabled AND NOT s.needs_attention
        AND s.next_run_at <= $1
        AND (s.next_run_at, s.id) > ($2::timestamptz, $3::bigint)
      ORDER BY s.next_run_at, s.id
      LIMIT $4
      FOR UPDATE OF s SKIP LOCKED`,
    [now, after.nextRunAt, after.id, limit],
  );
  return rows.map((row) => ({
    id: String(row.id),
    accountId: row.account_id,
    sellerId: row.seller_id,
    kind: row.kind,
    cadence: row.cadence,
    payload: row.payload,
    nextRunAt: row.next_run_at,
    marketplace: row.marketplace,
    accountEnabled: row.account_enabled,
    accountStatus: row.account_status,
    hasCredentials: row.has_credentials,
  }));
}

export async function advanceSchedules(
  client: ClientBase,
  updates: readonly { id: string; slotAt: Date; nextRunAt: Date }[],
): Promise<void> {
  if (updates.length === 0) return;
  await client.query(
    `UPDATE schedules s SET next_run_at = v.next_run_at, last_slot_at = v.slot_at, updated_at = now()
       FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS v(id, next_run_at, slot_at)
      WHERE s.id = v.id`,
    [updates.map((u) => u.id), updates.map((u) => u.nextRunAt), updates.map((u) => u.slotAt)],
  );
}

export async function flagSchedules(
  client: ClientBase,
  flags: readonly { id: string; reason: string }[],
): Promise<void> {
  if (flags.length === 0) return;
  await client.query(
    `UPDATE schedules s SET needs_attention = true, attention_reason = v.reason, attention_since = now(), updated_at = now()
       FROM unnest($1::bigint[], $2::text[]) AS v(id, reason)
      WHERE s.id = v.id`,
    [flags.map((f) => f.id), flags.map((f) => f.reason)],
  );
}
