/**
 * The one dead-letter record format: what a dead letter says about itself, written by the poller
 * (as SQS message attributes on the DLQ copy, and as a `dead_letters` row in PostgreSQL) and read by
 * `npm run dlq` — both through this module, so writer and reader cannot drift apart.
 *
 * PostgreSQL is the list operators read: SQS hides a FIFO group's later messages while an earlier one
 * is in flight, so a DLQ can never be listed whole by receiving from it. A letter that SQS's own
 * redrive moved (the `maxReceiveCount` safety net) has no row and no attributes; it is read from SQS.
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import { parseEnvelope, toCarriableText } from '../contracts/envelope';
import { workflowIdFor } from '../contracts/workflows';

/**
 * `failed`: its budget of runs is spent, or it failed for good (a saga that compensated a business
 * failure among them); `parked`: refused for a state of its account an operator can change;
 * `stopped`: an operator terminated its workflow (no compensation ran); `cancelled`: an operator
 * cancelled it (a saga compensated first); `invalid`: not a message this service can run.
 */
export type DeadLetterDisposition = 'failed' | 'parked' | 'stopped' | 'cancelled' | 'invalid';
export type DeadLetterState = 'in_dlq' | 'replayed' | 'set_aside' | 'purged';

/** Why a message is being dead-lettered: said by whoever decides it (the poller). */
export interface DeadLetterVerdict {
  disposition: DeadLetterDisposition;
  reason: string;
  /** The innermost failure's type (ApplicationFailure.type), `terminated`, `cancelled`, … */
  failureType?: string;
}

export interface DeadLetterRecord extends DeadLetterVerdict {
  /** The source queue's logical name (catalogue). */
  sourceQueue: string;
  sourceMessageId: string;
  /** FIFO: the source message's sequence number, which orders a group's letters as they were sent. */
  sourceSequence?: string;
  sourceSentAt?: Date;
  groupId?: string;
  messageType?: string;
  accountId?: string;
  /** The seller the message names (inventory work always does), so a seller's letters can be found. */
  sellerId?: string;
  idempotencyKey?: string;
  workflowId?: string;
  body: string;
  deadLetteredAt: Date;
}

/** A record as listed: its row id and state, or none for a letter known only to SQS. */
export interface ListedDeadLetter extends DeadLetterRecord {
  id?: string;
  state: DeadLetterState;
}

/** Message attributes of a dead letter's SQS copy. Names are part of the operators' interface. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'dlq-reason',
  disposition: 'dlq-disposition',
  failureType: 'dlq-failure-type',
  sourceQueue: 'dlq-source-queue',
  sourceMessageId: 'dlq-source-message-id',
  sourceSequence: 'dlq-source-sequence',
  deadLetteredAt: 'dlq-dead-lettered-at',
} as const;

/**
 * Attributes a replayed message carries: which letter it replays, and when. A replay starts a fresh
 * budget of failed runs (counted from `replayedAt`) and may run work an operator stopped before.
 */
export const REPLAY_ATTRIBUTES = { replayOf: 'dlq-replay-of', replayedAt: 'dlq-replayed-at' } as const;

/**
 * A dead letter keeps at most this much of its body: plenty to triage, and with the attributes far
 * under every SQS size limit (256 KiB on ElasticMQ and older queues), so even a body that filled its
 * message can be dead-lettered instead of failing the send and coming back forever.
 */
export const DEAD_LETTER_BODY_BYTES = 64 * 1024;
const MAX_REASON_CHARS = 1_000;

/** The record for a message of `sourceQueue` and what the poller decided about it. */
export function deadLetterRecord(sourceQueue: string, message: Message, verdict: DeadLetterVerdict): DeadLetterRecord {
  const { body, cut } = deadLetterBody(message.Body || '(empty)');
  const parsed = parseEnvelope(message.Body ?? '');
  const envelope = parsed.ok ? parsed.envelope : undefined;
  const sentAt = Number(message.Attributes?.SentTimestamp);
  return {
    ...verdict,
    // The reason may quote what it refuses (a field name): SQS would refuse a lone surrogate in it.
    reason: toCarriableText(`${verdict.reason.slice(0, MAX_REASON_CHARS)}${cut}`),
    failureType: verdict.failureType && toCarriableText(verdict.failureType.slice(0, 200)),
    sourceQueue,
    sourceMessageId: message.MessageId ?? 'unknown',
    sourceSequence: message.Attributes?.SequenceNumber,
    sourceSentAt: Number.isFinite(sentAt) && sentAt > 0 ? new Date(sentAt) : undefined,
    groupId: message.Attributes?.MessageGroupId,
    messageType: envelope?.type,
    accountId: envelope?.accountId,
    sellerId: envelope?.sellerId,
    idempotencyKey: envelope?.idempotencyKey,
    workflowId: envelope && workflowIdFor(envelope),
    body,
    deadLetteredAt: new Date(),
  };
}

/** The body a dead letter carries: whole, or its first DEAD_LETTER_BODY_BYTES and a note saying so. */
function deadLetterBody(body: string): { body: string; cut: string } {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length <= DEAD_LETTER_BODY_BYTES) return { body, cut: '' };
  // A multi-byte character split at the cut decodes to U+FFFD: still text SQS takes.
  return {
    body: bytes.subarray(0, DEAD_LETTER_BODY_BYTES).toString('utf8'),
    cut: ` (body cut to its first ${DEAD_LETTER_BODY_BYTES} of ${bytes.length} bytes)`,
  };
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

export function toMessageAttributes(record: DeadLetterRecord): Record<string, MessageAttributeValue> {
  const a = DEAD_LETTER_ATTRIBUTES;
  return {
    [a.reason]: text(record.reason),
    [a.disposition]: text(record.disposition),
    [a.sourceQueue]: text(record.sourceQueue),
    [a.sourceMessageId]: text(record.sourceMessageId),
    [a.deadLetteredAt]: text(record.deadLetteredAt.toISOString()),
    ...(record.failureType && { [a.failureType]: text(record.failureType) }),
    ...(record.sourceSequence && { [a.sourceSequence]: text(record.sourceSequence) }),
  };
}

export const SAFETY_NET_REASON =
  'moved by SQS after maxReceiveCount receives (the safety net): its cause is in Temporal';

/**
 * A dead letter as read from its DLQ. One the poller wrote carries its record in its attributes; one
 * SQS's redrive moved carries none and is described from the message itself.
 */
export function fromDeadLetterMessage(sourceQueue: string, message: Message): ListedDeadLetter {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const a = DEAD_LETTER_ATTRIBUTES;
  const written = attribute(a.reason) !== undefined;
  const parsed = parseEnvelope(message.Body ?? '');
  const record = deadLetterRecord(sourceQueue, message, {
    disposition: (attribute(a.disposition) as DeadLetterDisposition | undefined) ?? (parsed.ok ? 'failed' : 'invalid'),
    reason: attribute(a.reason) ?? (parsed.ok ? SAFETY_NET_REASON : `invalid: ${parsed.reason}`),
    failureType: attribute(a.failureType),
  });
  const deadLetteredAt = attribute(a.deadLetteredAt);
  return {
    ...record,
    sourceMessageId: attribute(a.sourceMessageId) ?? record.sourceMessageId,
    sourceSequence: attribute(a.sourceSequence) ?? (written ? undefined : record.sourceSequence),
    deadLetteredAt: deadLetteredAt ? new Date(deadLetteredAt) : (record.sourceSentAt ?? new Date()),
    state: 'in_dlq',
  };
}

const INSERT_DEAD_LETTER = `INSERT INTO dead_letters
       (source_queue, source_message_id, source_sequence, source_sent_at, group_id, message_type, account_id,
        idempotency_key, workflow_id, disposition, reason, failure_type, body, dead_lettered_at, seller_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;

function insertValues(record: DeadLetterRecord): unknown[] {
  return [
    record.sourceQueue,
    record.sourceMessageId,
    record.sourceSequence ?? null,
    record.sourceSentAt ?? null,
    record.groupId ?? null,
    record.messageType ?? null,
    record.accountId ?? null,
    record.idempotencyKey ?? null,
    record.workflowId ?? null,
    record.disposition,
    record.reason,
    record.failureType ?? null,
    // PostgreSQL text cannot hold NUL; the SQS copy keeps the body as it was.
    toCarriableText(record.body),
    record.deadLetteredAt,
    record.sellerId ?? null,
  ];
}

/** Stores the record; dead-lettering one message again (after a crash mid-way) overwrites its verdict. */
export async function saveDeadLetter(pool: Pool, record: DeadLetterRecord): Promise<void> {
  await pool.query(
    `${INSERT_DEAD_LETTER}
     ON CONFLICT (source_queue, source_message_id) DO UPDATE
       SET disposition = EXCLUDED.disposition, reason = EXCLUDED.reason, failure_type = EXCLUDED.failure_type,
           dead_lettered_at = EXCLUDED.dead_lettered_at, state = 'in_dlq', state_changed_at = now()`,
    insertValues(record),
  );
}

/**
 * Records a letter found in a DLQ (one SQS's redrive moved) unless it is recorded already, whatever
 * its state: a copy left behind by an interrupted replay must not reopen its settled record.
 * True when it was new.
 */
export async function recordFoundDeadLetter(pool: Pool, record: DeadLetterRecord): Promise<boolean> {
  const { rowCount } = await pool.query(
    `${INSERT_DEAD_LETTER} ON CONFLICT (source_queue, source_message_id) DO NOTHING`,
    insertValues(record),
  );
  return rowCount === 1;
}

interface DeadLetterRow {
  id: string;
  source_queue: string;
  source_message_id: string;
  source_sequence: string | null;
  source_sent_at: Date | null;
  group_id: string | null;
  message_type: string | null;
  account_id: string | null;
  seller_id: string | null;
  idempotency_key: string | null;
  workflow_id: string | null;
  disposition: DeadLetterDisposition;
  reason: string;
  failure_type: string | null;
  body: string;
  dead_lettered_at: Date;
  state: DeadLetterState;
}

function fromRow(row: DeadLetterRow): ListedDeadLetter {
  return {
    id: row.id,
    sourceQueue: row.source_queue,
    sourceMessageId: row.source_message_id,
    sourceSequence: row.source_sequence ?? undefined,
    sourceSentAt: row.source_sent_at ?? undefined,
    groupId: row.group_id ?? undefined,
    messageType: row.message_type ?? undefined,
    accountId: row.account_id ?? undefined,
    sellerId: row.seller_id ?? undefined,
    idempotencyKey: row.idempotency_key ?? undefined,
    workflowId: row.workflow_id ?? undefined,
    disposition: row.disposition,
    reason: row.reason,
    failureType: row.failure_type ?? undefined,
    body: row.body,
    deadLetteredAt: row.dead_lettered_at,
    state: row.state,
  };
}

/**
 * A queue's letters still in its DLQ, oldest first within each group: by the source sequence number
 * (FIFO) — the order they were sent in — then by when they were dead-lettered. `accountId` takes an
 * account or a seller id: the letters of that account, of that seller, or in that FIFO group.
 */
export async function listDeadLetters(
  pool: Pool,
  sourceQueue: string,
  filter: { accountId?: string; states?: readonly DeadLetterState[] } = {},
): Promise<ListedDeadLetter[]> {
  const { rows } = await pool.query<DeadLetterRow>(
    `SELECT * FROM dead_letters
      WHERE source_queue = $1 AND state = ANY($2)
        AND ($3::text IS NULL OR account_id = $3 OR seller_id = $3 OR group_id = $3)
      ORDER BY group_id NULLS FIRST, length(source_sequence), source_sequence, dead_lettered_at, id`,
    [sourceQueue, filter.states ?? ['in_dlq'], filter.accountId ?? null],
  );
  return rows.map(fromRow);
}

/**
 * Every queue's letters still in its DLQ that belong to a seller: naming the seller, or one of its
 * accounts. Newest first, at most `limit` (the seller status page, not a replay: order is for people).
 */
export async function openDeadLettersOfSeller(
  pool: Pool,
  seller: { sellerId: string; accountIds: readonly string[] },
  limit: number,
): Promise<ListedDeadLetter[]> {
  const { rows } = await pool.query<DeadLetterRow>(
    `SELECT * FROM dead_letters
      WHERE state = 'in_dlq' AND (seller_id = $1 OR account_id = ANY($2))
      ORDER BY dead_lettered_at DESC, id DESC LIMIT $3`,
    [seller.sellerId, seller.accountIds, limit],
  );
  return rows.map(fromRow);
}

export async function setDeadLetterState(
  pool: Pool,
  sourceQueue: string,
  sourceMessageIds: readonly string[],
  state: DeadLetterState,
): Promise<void> {
  if (sourceMessageIds.length === 0) return;
  await pool.query(
    `UPDATE dead_letters SET state = $3, state_changed_at = now()
      WHERE source_queue = $1 AND source_message_id = ANY($2)`,
    [sourceQueue, sourceMessageIds, state],
  );
}

/** The state of each of these letters that has a record. */
export async function deadLetterStates(
  pool: Pool,
  sourceQueue: string,
  sourceMessageIds: readonly string[],
): Promise<Map<string, DeadLetterState>> {
  const { rows } = await pool.query<{ source_message_id: string; state: DeadLetterState }>(
    'SELECT source_message_id, state FROM dead_letters WHERE source_queue = $1 AND source_message_id = ANY($2)',
    [sourceQueue, sourceMessageIds],
  );
  return new Map(rows.map((row) => [row.source_message_id, row.state]));
}

export interface DeadLetterCount {
  sourceQueue: string;
  disposition: DeadLetterDisposition;
  state: DeadLetterState;
  count: number;
}

export async function countDeadLetters(pool: Pool): Promise<DeadLetterCount[]> {
  const { rows } = await pool.query<DeadLetterCount>(
    `SELECT source_queue AS "sourceQueue", disposition, state, count(*)::int AS count
       FROM dead_letters GROUP BY source_queue, disposition, state`,
  );
  return rows;
}

/**
 * Seconds since the oldest letter still parked in a DLQ was dead-lettered (0 when none is): SQS drops
 * it at the DLQ's retention, counted from when it was sent there.
 */
export async function oldestParkedLetterAgeSeconds(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ seconds: number }>(
    `SELECT coalesce(extract(epoch FROM now() - min(dead_lettered_at)), 0)::float8 AS seconds
       FROM dead_letters WHERE disposition = 'parked' AND state = 'in_dlq'`,
  );
  return rows[0]!.seconds;
}

/** Marks a queue's letters still in its DLQ purged; returns how many. */
export async function markDeadLettersPurged(pool: Pool, sourceQueue: string): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE dead_letters SET state = 'purged', state_changed_at = now() WHERE source_queue = $1 AND state = 'in_dlq'`,
    [sourceQueue],
  );
  return rowCount ?? 0;
}
