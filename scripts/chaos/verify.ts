/**
 * The run's verdict, from what the servers hold afterwards: Temporal's record of every workflow, the
 * DLQs, the simulator's ledger of mutations, and PostgreSQL's claims, sagas and stock. What was owed
 * comes from the harness's own record (the producer's messages, the schedules it seeded), never from
 * tables the code under test writes (scripts/chaos/oracles/).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { SimLedgerEntry, SimulatorControl } from '../../simulator/src/control';
import { workflowIdFor } from '../../src/contracts/workflows';
import { peekDeadLetters } from '../../src/queues/dead-letters';
import { QUEUES } from '../../src/queues/catalogue';
import type { Envelope } from '../../src/contracts/envelope';
import type { QueueDirectory } from '../../src/queues/queue-urls';
import { SAFETY_NET_REASON } from '../../src/queues/dead-letter-record';
import { QueueMessages } from '../../src/queues/queue-messages';
import { queueForMessage } from '../../src/queues/routing';
import type { ChaosPlan } from './plan';
import type { SeededSchedule, Sent } from './workload';
import { duplicateEffects } from './oracles/effects';
import { orderViolations, type GroupMessage } from './oracles/order';
import { matchSweepMessages, owedSweepMessages, type SweepVerdict } from './oracles/sweeps';
import { finalStatus, temporalWorkflows, type TemporalWorkflow } from './oracles/temporal';
import { INITIAL_STOCK } from './workload';
import type { PlacedOrders } from './marketplace-orders';
import { expectedStock, listingsCheck, stockCheck } from './oracles/listings';
import { halfDoneSagaCheck } from './oracles/sagas';

export interface Check {
  name: string;
  value: number;
  /** Violations make the run fail; figures only inform. */
  violation: boolean;
  detail?: string[];
}

interface WorkflowRecord {
  status: string;
  startTime?: Date;
  closeTime?: Date;
}

interface DeadLetterRecord {
  key: string;
  reason: string;
}

async function failureOf(client: Client, workflowId: string): Promise<string> {
  try {
    await client.workflow.getHandle(workflowId).result();
    return 'its workflow completed';
  } catch (error) {
    // The innermost cause is the activity's own failure ("ajio payouts for ... answered 422"),
    // not "Workflow execution failed" or "Activity task failed" around it.
    let innermost = error as Error;
    while (innermost.cause instanceof Error) innermost = innermost.cause;
    return innermost.message;
  }
}

/**
 * Every DLQ's letters, read as `npm run dlq -- peek` reads them; one SQS moved after maxReceiveCount
 * gets its workflow's final failure as the reason.
 */
async function deadLetters(
  sqs: SQSClient,
  directory: QueueDirectory,
  client: Client,
  pool: Pool,
): Promise<DeadLetterRecord[]> {
  const peeks = await Promise.all(
    QUEUES.map(async (queue) => {
      const endpoints = { queue, url: await directory.url(queue), deadLetterUrl: await directory.deadLetterUrl(queue) };
      return peekDeadLetters({ messages: new QueueMessages(sqs, endpoints, pool), pool, directory });
    }),
  );
  return Promise.all(
    peeks
      .flatMap((peek) => peek.letters)
      .map(async (letter) => {
        const key = letter.workflowId ?? `(invalid) ${letter.sourceMessageId}`;
        const moved = letter.reason === SAFETY_NET_REASON;
        return { key, reason: moved ? `failed on every delivery: ${await failureOf(client, key)}` : letter.reason };
      }),
  );
}

function lostCheck(expected: Map<string, Envelope>, workflows: Map<string, WorkflowRecord>, dead: Set<string>): Check {
  const lost = [...expected.keys()].filter((id) => workflows.get(id)?.status !== 'COMPLETED' && !dead.has(id));
  return {
    name: 'lost producer messages (neither completed nor in a DLQ)',
    value: lost.length,
    violation: true,
    detail: lost.map((id) => `${id}: ${workflows.get(id)?.status}`),
  };
}

/** Kept from before the per-effect check: a key the simulator applied twice would be its own bug. */
function keyDuplicateCheck(ledger: SimLedgerEntry[]): Check {
  const applied = new Map<string, number>();
  for (const entry of ledger) {
    if (entry.outcome !== 'applied' || !entry.idempotencyKey) continue;
    const key = `${entry.marketplace}/${entry.sellerId}/${entry.idempotencyKey}`;
    applied.set(key, (applied.get(key) ?? 0) + 1);
  }
  const twice = [...applied].filter(([, count]) => count > 1);
  return {
    name: 'duplicate side effects (a key applied twice)',
    value: twice.length,
    violation: true,
    detail: twice.map(([key, count]) => `${key} applied ${count} times`),
  };
}

/** The same value written to one listing field twice in a row by one decision (oracles/effects.ts). */
function effectDuplicateCheck(ledger: SimLedgerEntry[], workflows: Map<string, TemporalWorkflow>, sent: Sent[]): Check {
  const messageKeys = [
    ...new Set([
      ...sent.map((s) => s.envelope.idempotencyKey),
      ...[...workflows.values()].flatMap((w) => (w.envelope ? [w.envelope.idempotencyKey] : [])),
    ]),
  ];
  const duplicates = duplicateEffects(ledger, messageKeys);
  return {
    name: 'duplicate effects (one listing field, same value, twice in a row)',
    value: duplicates.length,
    violation: true,
    detail: duplicates,
  };
}

/** Every FIFO group (account x FIFO queue) of every message Temporal ran, the sweeps' included (oracles/order.ts). */
function orderCheck(sent: Sent[], workflows: Map<string, TemporalWorkflow>): Check {
  const sendIndex = new Map(sent.map((s) => [workflowIdFor(s.envelope), s.message.index]));
  const groups = new Map<string, GroupMessage[]>();
  for (const workflow of workflows.values()) {
    const envelope = workflow.envelope;
    if (!envelope) continue;
    const queue = queueForMessage(envelope.type, envelope.marketplace);
    if (!queue.fifo) continue;
    const group = `${envelope.accountId} ${queue.name}`;
    const index = sendIndex.get(workflow.workflowId);
    const message = {
      workflowId: workflow.workflowId,
      runs: workflow.runs,
      ...(index !== undefined && { sendIndex: index }),
    };
    groups.set(group, [...(groups.get(group) ?? []), message]);
  }
  const violations = orderViolations(groups);
  return { name: 'FIFO order violations', value: violations.length, violation: true, detail: violations };
}

function sweepChecks(verdict: SweepVerdict): Check[] {
  return [
    { name: 'sweep messages owed by the seeded schedules', value: verdict.owed, violation: false },
    {
      name: 'lost sweep messages (owed, neither completed nor in a DLQ)',
      value: verdict.lost.length,
      violation: true,
      detail: verdict.lost,
    },
    {
      name: 'unexpected scheduled-type sweep messages (owed by no seeded schedule, or sent twice)',
      value: verdict.extra.length,
      violation: true,
      detail: verdict.extra,
    },
    { name: "other sweeps' messages (outbox publishes, ...)", value: verdict.other.length, violation: false },
  ];
}

async function claimChecks(pool: Pool): Promise<Check[]> {
  const { rows } = await pool.query<{ stale: number; flagged: number; total: number; resent: number }>(
    `SELECT count(*) FILTER (WHERE sent_at IS NULL AND NOT needs_attention)::int AS stale,
            count(*) FILTER (WHERE needs_attention)::int AS flagged, count(*)::int AS total,
            count(*) FILTER (WHERE attempts > 1)::int AS resent
       FROM dispatch_claims`,
  );
  const { stale, flagged, total, resent } = rows[0]!;
  return [
    { name: 'sweep claims (messages the sweeps sent)', value: total, violation: false },
    { name: 'claims sent again by the claim-sweeper', value: resent, violation: false },
    { name: 'stale claims after the claim-sweeper', value: stale, violation: true },
    { name: 'claims flagged needs-attention', value: flagged, violation: false },
  ];
}

interface SagaRow {
  workflow_id: string;
  status: string;
  compensations: { step: string; ok: boolean }[];
}

async function sagaChecks(
  pool: Pool,
  plan: ChaosPlan,
  sent: Sent[],
  workflows: Map<string, WorkflowRecord>,
  expected: Map<string, Envelope>,
): Promise<Check[]> {
  const { rows } = await pool.query<SagaRow>('SELECT workflow_id, status, compensations FROM saga_runs');
  const byId = new Map(rows.map((row) => [row.workflow_id, row]));
  const sagaTypes = new Set(['inventory.deduct', 'marketplace.push', 'ajio.token-refresh']);
  const unrecorded = [...expected]
    .filter(
      ([id, envelope]) => sagaTypes.has(envelope.type) && workflows.get(id)?.status === 'COMPLETED' && !byId.has(id),
    )
    .map(([id]) => `${id}: completed without a saga record`);
  const halfUndone = rows
    .filter((row) => row.status === 'compensated' && row.compensations.some((c) => !c.ok))
    .map((row) => `${row.workflow_id}: compensated but an undo failed`);
  const workflowOfKey = new Map(sent.map((s) => [s.envelope.idempotencyKey, workflowIdFor(s.envelope)]));
  const statusOf = (key: string) => byId.get(workflowOfKey.get(key) ?? '')?.status;
  const planned = [
    ...plan.expected.compensatedSagas.map((key) => ({ key, want: 'compensated' })),
    ...plan.expected.needsAttentionSagas.map((key) => ({ key, want: 'needs_attention' })),
  ];
  const missed = planned
    .filter(({ key, want }) => statusOf(key) !== want)
    .map(({ key, want }) => `${key}: wanted ${want}, got ${statusOf(key) ?? 'no record'}`);
  const count = (status: string) => rows.filter((row) => row.status === status).length;
  return [
    { name: 'sagas completed', value: count('completed'), violation: false },
    { name: 'sagas compensated', value: count('compensated'), violation: false },
    { name: 'sagas needing attention (recorded)', value: count('needs_attention'), violation: false },
    {
      name: 'failed sagas neither compensated nor recorded',
      value: unrecorded.length + halfUndone.length,
      violation: true,
      detail: [...unrecorded, ...halfUndone],
    },
    { name: 'planned saga failures that ended otherwise', value: missed.length, violation: true, detail: missed },
  ];
}

/**
 * Stock moved exactly by the movements recorded (order lines and deducts, docs/inventory.md), what
 * is reserved is exactly the order lines still reserved, and no deduct is left holding stock.
 */
async function inventoryCheck(pool: Pool): Promise<Check> {
  const { rows } = await pool.query<{
    id: string;
    stock: number;
    reserved: number;
    moved_stock: number;
    moved_reserved: number;
    lines_reserved: number;
    held: number;
  }>(
    `SELECT s.id, s.stock, s.reserved,
            coalesce((SELECT sum(m.stock_delta) FROM stock_movements m WHERE m.sku_id = s.id), 0)::int AS moved_stock,
            coalesce((SELECT sum(m.reserved_delta) FROM stock_movements m WHERE m.sku_id = s.id), 0)::int AS moved_reserved,
            coalesce((SELECT sum(l.quantity) FROM order_lines l
                       WHERE l.sku_id = s.id AND l.stock_state = 'reserved'), 0)::int AS lines_reserved,
            coalesce((SELECT sum(r.quantity) FROM inventory_reservations r
                       WHERE r.sku_id = s.id AND r.status = 'reserved'), 0)::int AS held
       FROM skus s`,
  );
  const wrong = rows
    .filter(
      (row) =>
        row.stock !== INITIAL_STOCK + row.moved_stock ||
        row.reserved !== row.moved_reserved ||
        row.reserved !== row.lines_reserved ||
        row.held !== 0,
    )
    .map(
      (row) =>
        `${row.id}: stock ${row.stock} (want ${INITIAL_STOCK + row.moved_stock}), reserved ${row.reserved} ` +
        `(movements ${row.moved_reserved}, order lines ${row.lines_reserved}), held by deducts ${row.held}`,
    );
  return { name: 'stock not matching its movements', value: wrong.length, violation: true, detail: wrong };
}

export interface VerifyInputs {
  plan: ChaosPlan;
  sent: Sent[];
  pool: Pool;
  client: Client;
  sqs: SQSClient;
  directory: QueueDirectory;
  sim: SimulatorControl;
  /** The orders buyers placed at the marketplaces during the run. */
  orders: PlacedOrders;
  /** Every schedule the harness made due for a sweep, as it seeded it. */
  seededSchedules: SeededSchedule[];
}

/** The end state across systems and the sagas' outcomes against the marketplaces' ledger (oracles/). */
async function endStateChecks(
  { plan, sent, pool, sim, orders }: VerifyInputs,
  workflows: Map<string, WorkflowRecord>,
): Promise<Check[]> {
  const envelopes = sent.map((s) => s.envelope);
  const completed = (envelope: Envelope) => workflows.get(workflowIdFor(envelope))?.status === 'COMPLETED';
  const ledger = await sim.ledger({ operation: 'listings-update' });
  return [
    {
      name: 'marketplace orders placed (refused)',
      value: orders.placed.length,
      violation: false,
      detail: orders.refused.map((r) => r.reason),
    },
    await listingsCheck(pool, sim, plan),
    await stockCheck(pool, expectedStock(plan, orders, envelopes, completed)),
    await halfDoneSagaCheck(pool, plan, envelopes, workflows, ledger),
  ];
}

/** Each workflow's final status, with its first start and last close. */
function recordsOf(workflows: Map<string, TemporalWorkflow>): Map<string, WorkflowRecord> {
  return new Map(
    [...workflows].map(([id, w]) => [
      id,
      { status: finalStatus(w), startTime: w.runs[0]?.start, closeTime: w.runs.at(-1)?.close },
    ]),
  );
}

export async function verify(inputs: VerifyInputs): Promise<Check[]> {
  const { plan, sent, pool, client, sqs, directory, sim, seededSchedules } = inputs;
  const produced = new Map(sent.map((s) => [workflowIdFor(s.envelope), s.envelope]));
  const workflows = await temporalWorkflows(client, produced);
  const records = recordsOf(workflows);
  const letters = await deadLetters(sqs, directory, client, pool);
  const dead = new Set(letters.map((letter) => letter.key));
  const sweeps = matchSweepMessages(
    owedSweepMessages(seededSchedules, new Date()),
    [...workflows.values()]
      .filter((w) => w.envelope && !produced.has(w.workflowId))
      .map((w) => ({
        workflowId: w.workflowId,
        envelope: w.envelope!,
        settled: finalStatus(w) === 'COMPLETED' || dead.has(w.workflowId),
      })),
  );
  const expected = new Map([...produced, ...sweeps.found]);
  const completed = [...expected.keys()].filter((id) => records.get(id)?.status === 'COMPLETED').length;
  const planned = new Set(plan.expected.deadLetterAccounts);
  // A saga that compensated (or needs attention) fails its workflow, so its message is dead-lettered.
  const plannedSagas = new Set(
    [...plan.expected.compensatedSagas, ...plan.expected.needsAttentionSagas].flatMap((key) => {
      const sentOne = sent.find((s) => s.envelope.idempotencyKey === key);
      return sentOne ? [workflowIdFor(sentOne.envelope)] : [];
    }),
  );
  const unexplained = letters.filter(
    (letter) => !planned.has(letter.key.split('/')[1] ?? '') && !plannedSagas.has(letter.key),
  );
  const ledger = await sim.ledger();
  return [
    { name: 'messages sent (producer + owed by sweeps)', value: sent.length + sweeps.owed, violation: false },
    { name: 'completed', value: completed, violation: false },
    {
      name: 'in a DLQ, with a reason',
      value: letters.length,
      violation: false,
      detail: letters.map((l) => `${l.key}: ${l.reason}`),
    },
    {
      name: 'in a DLQ without a planned cause',
      value: unexplained.length,
      violation: true,
      detail: unexplained.map((l) => `${l.key}: ${l.reason}`),
    },
    lostCheck(produced, records, dead),
    ...sweepChecks(sweeps),
    keyDuplicateCheck(ledger),
    effectDuplicateCheck(ledger, workflows, sent),
    orderCheck(sent, workflows),
    ...(await claimChecks(pool)),
    ...(await sagaChecks(pool, plan, sent, records, expected)),
    await inventoryCheck(pool),
    ...(await endStateChecks(inputs, records)),
  ];
}
