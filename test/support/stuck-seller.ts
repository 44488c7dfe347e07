/**
 * A seller stuck every way the seller status reader reports (src/observability/seller-status.ts),
 * seeded on a WorkflowBench: an account whose order sync the simulator keeps refusing with 429 (a
 * workflow waiting on a retried activity), an account needing re-authorisation with an expired token,
 * dead letters (one parked), a flagged claim, a saga needing attention and a used-up rate-limit
 * bucket; plus rows of another seller, and rows of this one that are settled, none of which may show.
 * The expectations are built here from what is seeded, never read back through the reader.
 */
import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../src/contracts/envelope';
import { workflowIdFor } from '../../src/contracts/workflows';
import { waitBudget } from '../../src/marketplaces/call-wait';
import { RATE_LIMITS } from '../../src/marketplaces/limits';
import { MarketplaceRateLimiter } from '../../src/marketplaces/rate-limiter';
import { createRedisConnection } from '../../src/platform/redis';
import { SILENT_LOGGER } from '../../src/platform/logger';
import type { Seller, WorkflowBench } from './workflow-bench';

/** Markup a careless page would run or render: the page must show it as text. */
export const HOSTILE_NAME = `<img src=x onerror="document.title='pwned'">Acme & <b>Sons</b>`;
export const HOSTILE_REASON = `<script>document.title='pwned'</script> budget of runs spent`;
export const STUCK_RETRY_AFTER_SECONDS = 3_600;
/** What the simulator answers the stuck account's order reads. */
export const FAULT_BODY = '{"error":"<i>orders backend down</i>"}';

export interface StuckSeller {
  sellerId: string;
  /** amazon: its account.sync waits on syncOrders, which the simulator refuses with a 429 for an hour. */
  stuck: Seller;
  /** flipkart: needs_reauth, token expired, a parked dead letter and a saga needing attention. */
  reauth: Seller;
  /** amazon: its own orders budget used up in Redis. */
  cooling: Seller;
  /** Another seller's account, with rows of every kind: none may show for this seller. */
  other: Seller;
  stuckSync: Envelope;
  expected: {
    accountIds: string[];
    workflowId: string;
    deadLetters: { sourceMessageId: string; disposition: string; accountId: string; reason: string }[];
    flaggedClaimKeys: string[];
    sagaWorkflowIds: string[];
    cooldown: { accountId: string; marketplace: 'amazon'; operation: 'orders'; used: number; points: number };
  };
}

async function seedDeadLetter(
  bench: WorkflowBench,
  row: { id: string; accountId: string; sellerId?: string; disposition: string; reason: string; state?: string },
): Promise<void> {
  await bench.pool.query(
    `INSERT INTO dead_letters (source_queue, source_message_id, message_type, account_id, seller_id, idempotency_key,
                               disposition, reason, failure_type, body, state)
     VALUES ('account-sync', $1, 'account.sync', $2, $3, $4, $5, $6, 'HttpError', '{}', $7)`,
    [row.id, row.accountId, row.sellerId ?? null, `key-${row.id}`, row.disposition, row.reason, row.state ?? 'in_dlq'],
  );
}

async function seedClaim(bench: WorkflowBench, key: string, accountId: string, flagged: boolean): Promise<void> {
  await bench.pool.query(
    `INSERT INTO dispatch_claims (idempotency_key, sweep, account_id, queue, message_type, envelope, slot_at,
                                 lease_expires_at, attempts, last_error, needs_attention, attention_reason, attention_since)
     VALUES ($1, 'scheduling-sweep', $2, 'account-sync', 'account.sync', '{}', now(), now(), 7, 'InternalError: down',
             $3, CASE WHEN $3 THEN 'unsent for more than 24 h' END, CASE WHEN $3 THEN now() END)`,
    [key, accountId, flagged],
  );
}

async function seedSaga(bench: WorkflowBench, workflowId: string, accountId: string, status: string) {
  await bench.pool.query(
    `INSERT INTO saga_runs (workflow_id, saga, account_id, status, failed_step, reason)
     VALUES ($1, 'inventory.deduct', $2, $3, 'push', 'compensation failed: listing unreachable')`,
    [workflowId, accountId, status],
  );
}

/** Takes every point of the account's amazon orders bucket, the way marketplace calls take them. */
async function useUpOrdersBudget(bench: WorkflowBench, accountId: string): Promise<number> {
  const redis = createRedisConnection(bench.t.config, { log: SILENT_LOGGER });
  try {
    // A limiter whose Redis is not connected yet takes its points in memory.
    await redis.ping();
    const limiter = new MarketplaceRateLimiter({ redis, keyPrefix: bench.t.config.redis.keyPrefix });
    const { points } = RATE_LIMITS.amazon.orders.perAccount;
    for (let i = 0; i < points; i++) {
      await limiter.acquire({ marketplace: 'amazon', operation: 'orders', accountId }, waitBudget(30_000));
    }
    return points;
  } finally {
    redis.disconnect();
  }
}

export async function seedStuckSeller(bench: WorkflowBench): Promise<StuckSeller> {
  const sellerId = `stuck_${randomUUID().slice(0, 8)}`;
  const stuck = await bench.seedSeller({ marketplace: 'amazon', sellerId });
  const reauth = await bench.seedSeller({
    marketplace: 'flipkart',
    sellerId,
    tokenExpiresAt: new Date(Date.now() - 3_600_000),
  });
  const cooling = await bench.seedSeller({ marketplace: 'amazon', sellerId });
  // A seller whose id differs from its account's: asking for the account must find this seller.
  const other = await bench.seedSeller({ marketplace: 'amazon', sellerId: `other_${randomUUID().slice(0, 8)}` });
  await bench.pool.query('UPDATE sellers SET display_name = $2 WHERE id = $1', [sellerId, HOSTILE_NAME]);
  await bench.pool.query(`UPDATE seller_accounts SET status = 'needs_reauth' WHERE id = $1`, [reauth.accountId]);

  // Longer than an attempt may wait (CALL_WAIT_BUDGET_MS): each attempt fails and the next is an hour
  // away, so the workflow stays stuck on its second attempt for as long as the test looks at it.
  await bench.sim.addFault({
    kind: 'rate-limit',
    retryAfterSeconds: STUCK_RETRY_AFTER_SECONDS,
    marketplace: 'amazon',
    sellerId: stuck.accountId,
    operation: 'orders',
    body: FAULT_BODY,
  });
  const stuckSync = bench.envelope('account.sync', stuck, { scheduleId: 'stuck' });
  await bench.start(stuckSync);

  const letters = [
    { id: `dl-failed-${sellerId}`, accountId: stuck.accountId, disposition: 'failed', reason: HOSTILE_REASON },
    {
      id: `dl-parked-${sellerId}`,
      accountId: reauth.accountId,
      sellerId,
      disposition: 'parked',
      reason: 'account needs re-authorisation',
    },
  ];
  for (const letter of letters) await seedDeadLetter(bench, letter);
  await seedDeadLetter(bench, {
    id: `dl-replayed-${sellerId}`,
    accountId: stuck.accountId,
    disposition: 'failed',
    reason: 'replayed already',
    state: 'replayed',
  });
  await seedDeadLetter(bench, {
    id: `dl-other-${sellerId}`,
    accountId: other.accountId,
    disposition: 'failed',
    reason: 'x',
  });

  await seedClaim(bench, `claim-flagged-${sellerId}`, stuck.accountId, true);
  await seedClaim(bench, `claim-unflagged-${sellerId}`, stuck.accountId, false);
  await seedClaim(bench, `claim-other-${sellerId}`, other.accountId, true);

  await seedSaga(bench, `saga-attention-${sellerId}`, reauth.accountId, 'needs_attention');
  await seedSaga(bench, `saga-completed-${sellerId}`, stuck.accountId, 'completed');
  await seedSaga(bench, `saga-other-${sellerId}`, other.accountId, 'needs_attention');

  const used = await useUpOrdersBudget(bench, cooling.accountId);

  return {
    sellerId,
    stuck,
    reauth,
    cooling,
    other,
    stuckSync,
    expected: {
      accountIds: [stuck.accountId, reauth.accountId, cooling.accountId].sort(),
      workflowId: workflowIdFor(stuckSync),
      deadLetters: letters.map(({ id, disposition, accountId, reason }) => ({
        sourceMessageId: id,
        disposition,
        accountId,
        reason,
      })),
      flaggedClaimKeys: [`claim-flagged-${sellerId}`],
      sagaWorkflowIds: [`saga-attention-${sellerId}`],
      cooldown: {
        accountId: cooling.accountId,
        marketplace: 'amazon',
        operation: 'orders',
        used,
        points: RATE_LIMITS.amazon.orders.perAccount.points,
      },
    },
  };
}

/**
 * Waits until the stuck workflow has failed its first attempt (a second one is pending) and
 * visibility lists it under its account: asked of Temporal directly, not through the reader.
 */
export async function untilStuck(bench: WorkflowBench, seeded: StuckSeller, timeoutMs = 60_000): Promise<void> {
  const handle = bench.client.workflow.getHandle(seeded.expected.workflowId);
  const query = `AccountId = '${seeded.stuck.accountId}' AND ExecutionStatus = 'Running'`;
  for (const deadline = Date.now() + timeoutMs; ;) {
    const [pending] = (await handle.describe()).raw.pendingActivities ?? [];
    const listed = (await bench.client.workflow.count(query)).count;
    if ((pending?.attempt ?? 0) >= 2 && pending?.lastFailure && listed === 1) return;
    if (Date.now() > deadline) throw new Error(`the stuck workflow never failed an attempt and got listed`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
