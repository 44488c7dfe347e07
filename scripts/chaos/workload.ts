/**
 * The run's data and traffic: sellers seeded in PostgreSQL and the simulator, due schedules for the
 * scheduling sweep, and a producer that sends the planned messages round by round (a burst of an
 * account's consecutive messages per round, so each account's FIFO messages are sent strictly in plan
 * order, several of one group at a time).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../src/config';
import type { SimulatorControl } from '../../simulator/src/control';
import { outgoingEnvelope, sendInBatches } from '../../src/queues/batch-sender';
import { queueForMessage } from '../../src/queues/routing';
import { serializeEnvelope, type Envelope } from '../../src/contracts/envelope';
import type { QueueDirectory } from '../../src/queues/queue-urls';
import { SellerSeeder } from '../harness/sellers';
import type { ChaosPlan, PlannedAccount, PlannedMessage } from './plan';
import { newEnvelope } from '../../src/contracts/envelope';

/** Stock each SKU starts with; the run checks what is left against the deductions that committed. */
export const INITIAL_STOCK = 1_000;
const DAY = 86_400_000;

/** What every listing asks for; the marketplaces start showing it, so any difference at the end is the run's. */
export const LISTING_PRICE_PAISE = 49_900;

/** Orders seeded as delivered, each one unit of the seller's first SKU; the first of them is returned. */
export const SEEDED_DELIVERED_ORDERS = 3;

/** One account of a seller: its listings of the seller's SKUs (known by our SKU ids), orders, payouts, a document. */
function sellerData(account: PlannedAccount) {
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
  const orderId = (n: number) => `${account.accountId}-o${n}`;
  return {
    marketplace: account.marketplace,
    accountId: account.accountId,
    sellerId: account.sellerId,
    listings: account.skus.map((skuId) => ({ skuId, quantity: INITIAL_STOCK, pricePaise: LISTING_PRICE_PAISE })),
    orders: Array.from({ length: SEEDED_DELIVERED_ORDERS }, (_, i) => i + 1).map((n) => ({
      orderId: orderId(n),
      status: 'delivered',
      totalPaise: 49_900,
      orderedAt: at(n),
      lines: [{ sku: account.skus[0]!, quantity: 1 }],
    })),
    returns: [{ returnId: `${account.accountId}-r1`, orderId: orderId(1), status: 'received', createdAt: at(1) }],
    payouts: [1, 2].map((n) => ({
      payoutId: `${account.accountId}-p${n}`,
      orderId: orderId(n),
      amountPaise: 49_900,
      paidAt: at(n),
    })),
    documents: [
      {
        documentId: `${account.accountId}-d1`,
        kind: 'invoice',
        createdAt: at(1),
        content: Buffer.from(`invoice of ${account.accountId}`).toString('base64'),
      },
    ],
  };
}

/** The kinds of schedule each account gets: one of four, or two for an account with a doomed SKU (no pushes). */
export function scheduleKindsOf(account: PlannedAccount): string[] {
  return account.doomedSku ? ['account-sync', 'payouts'] : ['account-sync', 'marketplace-push', 'payouts', 'inventory'];
}

export const scheduleCount = (accounts: readonly PlannedAccount[]) =>
  accounts.reduce((sum, account) => sum + scheduleKindsOf(account).length, 0);

/** Daily: a seeded schedule is due once in a run (a run lasts minutes, not days). */
const SEEDED_CADENCE = '1d';

/** A schedule the harness made due: what a scheduling sweep then owes (scripts/chaos/oracles/sweeps.ts). */
export interface SeededSchedule {
  scheduleId: string;
  accountId: string;
  kind: string;
  cadence: string;
  nextRunAt: Date;
}

/**
 * One due schedule of four kinds per account: the scheduling sweep's share of the traffic. Seeded
 * just before a sweep the run interrupts, so that sweep has work to be interrupted in. Returns what
 * it seeded, read from its own INSERT, for the lost-message oracle.
 */
export async function seedDueSchedules(pool: Pool, accounts: PlannedAccount[]): Promise<SeededSchedule[]> {
  const rows = accounts.flatMap((account) =>
    scheduleKindsOf(account).map((kind) => ({ account: account.accountId, kind, payload: {} })),
  );
  const { rows: seeded } = await pool.query<{ id: string; account_id: string; kind: string; next_run_at: Date }>(
    `INSERT INTO schedules (account_id, kind, cadence, payload, next_run_at)
     SELECT r.account, r.kind, $2, r.payload, now() - interval '1 minute'
       FROM jsonb_to_recordset($1::jsonb) AS r(account text, kind text, payload jsonb)
     RETURNING id, account_id, kind, next_run_at`,
    [JSON.stringify(rows), SEEDED_CADENCE],
  );
  return seeded.map((row) => ({
    scheduleId: String(row.id),
    accountId: row.account_id,
    kind: row.kind,
    cadence: SEEDED_CADENCE,
    nextRunAt: row.next_run_at,
  }));
}

/** Messages the sweeps have sent so far. */
export async function sentClaims(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ sent: number }>(
    'SELECT count(*)::int AS sent FROM dispatch_claims WHERE sent_at IS NOT NULL',
  );
  return rows[0]!.sent;
}

/**
 * Resolves once a scheduling sweep started at `since` has claimed rows it has not yet marked sent (or
 * when `signal` aborts). Claims an earlier killed sweep left unsent do not count: they would have the
 * next interrupted sweep killed before it claimed anything.
 */
export async function claimsInFlight(pool: Pool, signal: AbortSignal, since: Date): Promise<void> {
  while (!signal.aborted) {
    const { rowCount } = await pool
      .query(
        `SELECT 1 FROM dispatch_claims
          WHERE sent_at IS NULL AND NOT needs_attention AND sweep = 'scheduling-sweep' AND claimed_at >= $1 LIMIT 1`,
        [since],
      )
      .catch(() => ({ rowCount: 0 }));
    if (rowCount) return;
    await sleep(10);
  }
}

export async function seedWorkload(pool: Pool, config: Config, sim: SimulatorControl, plan: ChaosPlan) {
  const seeder = new SellerSeeder(pool, config, sim);
  for (const account of plan.accounts) await seeder.seedSeller(sellerData(account));
  await pool.query('UPDATE skus SET stock = $1', [INITIAL_STOCK]);
  for (const fault of plan.faults) await sim.addFault(fault);
}

export function envelopeOf(message: PlannedMessage, seed: number): Envelope {
  return newEnvelope({
    type: message.type,
    accountId: message.account.accountId,
    // The seller owns the stock: its stock work is one FIFO group across all its accounts.
    sellerId: message.account.sellerId,
    marketplace: message.account.marketplace,
    idempotencyKey: message.idempotencyKey,
    dueAt: new Date().toISOString(),
    traceId: `chaos-${seed}-${message.index}`,
    payload: message.payload,
  });
}

export interface Sent {
  message: PlannedMessage;
  envelope: Envelope;
  queue: string;
}

/** Time between two producer rounds. */
export function producerRoundMs(plan: ChaosPlan): number {
  const rounds = Math.max(...plan.messages.map((m) => m.round)) + 1;
  return (plan.options.produceSeconds * 1_000) / rounds;
}

/** How long after the producer's start its last round (the final account syncs) is sent. */
export function lastRoundAtMs(plan: ChaosPlan): number {
  return Math.max(...plan.messages.map((m) => m.round)) * producerRoundMs(plan);
}

/** The outgoing SQS messages of one burst (one account's messages of one round), in send order. */
async function outgoingBurst(directory: QueueDirectory, plan: ChaosPlan, burst: PlannedMessage[]) {
  return Promise.all(
    burst.map(async (message) => {
      const envelope = envelopeOf(message, plan.options.seed);
      const queue = queueForMessage(message.type, message.account.marketplace);
      const body = serializeEnvelope(envelope);
      const outgoing = outgoingEnvelope(envelope, body, queue, await directory.url(queue));
      return { sent: { message, envelope, queue: queue.name }, outgoing };
    }),
  );
}

/**
 * The producer stands for an upstream sender that keeps trying: a lost-send-answers window can lose
 * the answers of four attempts in a row (production's default), and the run must not end on a send
 * SQS applied. Retrying is safe: the entry keeps its deduplication id on FIFO queues, and on Standard
 * queues a second copy meets the same workflow id. Ten attempts back off past any window (5-10 s).
 */
const PRODUCER_RETRIES = { attempts: 10, backoffMs: 250 };

/**
 * Sends the plan's messages round by round, spreading the rounds over `produceSeconds`; calls
 * `onSent` after each round. Each account's burst is sent on its own (one SendMessageBatch per
 * queue), so its messages of one FIFO group keep their send order; the bursts of different accounts
 * go out at once. A message SQS refuses is a failed run, not a skipped one.
 */
export async function produce(
  sqs: SQSClient,
  directory: QueueDirectory,
  plan: ChaosPlan,
  onSent: (sent: Sent[]) => void,
): Promise<void> {
  const rounds = Math.max(...plan.messages.map((m) => m.round)) + 1;
  const pauseMs = producerRoundMs(plan);
  for (let round = 0; round < rounds; round += 1) {
    const bursts = plan.accounts
      .map((account) => plan.messages.filter((m) => m.round === round && m.account === account))
      .filter((burst) => burst.length > 0);
    const sent = await Promise.all(
      bursts.map(async (burst) => {
        const batch = await outgoingBurst(directory, plan, burst);
        const outcome = await sendInBatches(
          sqs,
          batch.map((b) => b.outgoing),
          PRODUCER_RETRIES,
        );
        if (outcome.failed.length)
          throw new Error(`producer: SQS refused ${outcome.failed.map((f) => `${f.key} (${f.reason})`).join(', ')}`);
        return batch.map((b) => b.sent);
      }),
    );
    onSent(sent.flat());
    await sleep(pauseMs);
  }
}
