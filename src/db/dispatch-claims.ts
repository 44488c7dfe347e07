/**
 * Dispatch claims: the durable record that a sweep decided to send a message. A claim is inserted
 * (once per idempotency key) before the message is sent and marked sent only after SQS accepted it,
 * so a crash in between leaves an unsent claim, which the next scheduling tick (or the daily
 * claim-sweeper) sends once its lease runs out: never a lost row.
 */
import type { ClientBase, Pool } from 'pg';
import { serializeEnvelope, type Envelope } from '../contracts/envelope';
import { inTransaction } from './transaction';

export interface Claim {
  idempotencyKey: string;
  sweep: string;
  accountId: string;
  scheduleId: string | null;
  /** Logical queue name from the inventory. */
  queue: string;
  envelope: Envelope;
  /** The envelope serialised and validated once, for both the claim row and the SQS message. */
  body: string;
  slotAt: Date;
}

export interface UnsentClaim extends Claim {
  /** When the claim was made: its age decides when it is flagged for a person. */
  claimedAt: Date;
  attempts: number;
  lastError: string | null;
}

/** A claim as one JSON row, embedding the already serialised envelope rather than serialising it again. */
function claimRowJson(claim: Claim): string {
  const { envelope: _envelope, body, ...row } = claim;
  const fields = JSON.stringify({
    key: row.idempotencyKey,
    sweep: row.sweep,
    account_id: row.accountId,
    schedule_id: row.scheduleId,
    queue: row.queue,
    slot_at: row.slotAt,
  });
  return `${fields.slice(0, -1)},"envelope":${body}}`;
}

/**
 * A claim is made, and its lease runs, at the later of the database's clock and the sweep run's
 * `now`. In production the run's `now` is its start, already past, so both are the moment of the
 * claim. A run given a later `now` (a simulated tick) dates its claims and leases by it, so a claim's
 * age and lease compare with the `now` of later runs on one clock, and a run never takes back,
 * within itself, a claim it has just renewed.
 */
export interface Lease {
  seconds: number;
  now: Date;
}

const CLAIM_TIME_SQL = (nowParam: string) => `greatest(now(), ${nowParam}::timestamptz)`;
const LEASE_EXPIRY_SQL = (nowParam: string, secondsParam: string) =>
  `${CLAIM_TIME_SQL(nowParam)} + make_interval(secs => ${secondsParam})`;

/** Inserts the claims; returns those that were new (a key claimed before is not claimed again). */
export async function insertClaims(client: ClientBase, claims: readonly Claim[], lease: Lease): Promise<Claim[]> {
  if (claims.length === 0) return [];
  const { rows } = await client.query<{ idempotency_key: string }>(
    `INSERT INTO dispatch_claims
       (idempotency_key, sweep, account_id, schedule_id, queue, message_type, envelope, slot_at, claimed_at,
        lease_expires_at)
     SELECT v.key, v.sweep, v.account_id, v.schedule_id, v.queue, v.envelope->>'type', v.envelope, v.slot_at,
            ${CLAIM_TIME_SQL('$3')}, ${LEASE_EXPIRY_SQL('$3', '$2')}
       FROM jsonb_to_recordset($1::jsonb)
         AS v(key text, sweep text, account_id text, schedule_id bigint, queue text, envelope jsonb, slot_at timestamptz)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING idempotency_key`,
    [`[${claims.map(claimRowJson).join(',')}]`, lease.seconds, lease.now],
  );
  const inserted = new Set(rows.map((row) => row.idempotency_key));
  return claims.filter((claim) => inserted.has(claim.idempotencyKey));
}

/**
 * Marks claims sent. Committed without waiting for the WAL flush: if a crash loses this mark, the
 * next scheduling tick only sends the message again under the same idempotency key, which SQS (FIFO) and
 * the workflow id both absorb; the claim itself, written before the send, is always durable.
 */
export async function markSent(pool: Pool, sent: readonly { key: string; messageId: string }[]): Promise<void> {
  if (sent.length === 0) return;
  await inTransaction(pool, async (client) => {
    await client.query('SET LOCAL synchronous_commit = off');
    await client.query(
      `UPDATE dispatch_claims d SET sent_at = now(), sqs_message_id = v.message_id, last_error = NULL
         FROM unnest($1::text[], $2::text[]) AS v(key, message_id)
        WHERE d.idempotency_key = v.key`,
      [sent.map((s) => s.key), sent.map((s) => s.messageId)],
    );
  });
}

export async function recordSendFailures(
  pool: Pool,
  failed: readonly { key: string; reason: string }[],
): Promise<void> {
  if (failed.length === 0) return;
  await pool.query(
    `UPDATE dispatch_claims d SET last_error = v.reason
       FROM unnest($1::text[], $2::text[]) AS v(key, reason)
      WHERE d.idempotency_key = v.key`,
    [failed.map((f) => f.key), failed.map((f) => f.reason.slice(0, 500))],
  );
}

/** Locks a batch of unsent claims whose lease has expired (the sender died or gave up). */
export async function lockExpiredClaims(client: ClientBase, now: Date, limit: number): Promise<UnsentClaim[]> {
  const { rows } = await client.query(
    `SELECT idempotency_key, sweep, account_id, schedule_id, queue, envelope, slot_at, claimed_at, attempts, last_error
       FROM dispatch_claims
      WHERE sent_at IS NULL AND NOT needs_attention AND lease_expires_at < $1
      ORDER BY lease_expires_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return rows.map((row) => ({
    idempotencyKey: row.idempotency_key,
    sweep: row.sweep,
    accountId: row.account_id,
    scheduleId: row.schedule_id,
    queue: row.queue,
    envelope: row.envelope as Envelope,
    body: serializeEnvelope(row.envelope as Envelope),
    slotAt: row.slot_at,
    claimedAt: row.claimed_at,
    attempts: row.attempts,
    lastError: row.last_error,
  }));
}

export async function renewClaims(client: ClientBase, keys: readonly string[], lease: Lease): Promise<void> {
  if (keys.length === 0) return;
  await client.query(
    `UPDATE dispatch_claims SET attempts = attempts + 1, lease_expires_at = ${LEASE_EXPIRY_SQL('$3', '$2')}
      WHERE idempotency_key = ANY($1)`,
    [keys, lease.seconds, lease.now],
  );
}

export async function flagClaims(client: ClientBase, flags: readonly { key: string; reason: string }[]): Promise<void> {
  if (flags.length === 0) return;
  await client.query(
    `UPDATE dispatch_claims d SET needs_attention = true, attention_reason = v.reason, attention_since = now()
       FROM unnest($1::text[], $2::text[]) AS v(key, reason)
      WHERE d.idempotency_key = v.key`,
    [flags.map((f) => f.key), flags.map((f) => f.reason)],
  );
}

/** Sent claims are only needed while a duplicate could still arrive; older ones are deleted. */
export async function pruneSentClaims(pool: Pool, olderThan: Date): Promise<number> {
  const { rowCount } = await pool.query('DELETE FROM dispatch_claims WHERE sent_at < $1', [olderThan]);
  return rowCount ?? 0;
}
