import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { QUEUES } from '../../src/queues/catalogue';
import { findSweep } from '../../src/sweeps/registry';
import { DEFAULT_PAGE_SIZE, runSweep } from '../../src/sweeps/run-sweep';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { runEntryPoint } from '../support/run-command';
import { seedAccount } from '../../scripts/harness/accounts';
import { seedManyDueSchedules, seedSchedule } from '../support/seed';
import { drainQueue } from '../support/sqs';

jest.setTimeout(120_000);

const sweep = findSweep('scheduling-sweep');
const MINUTE = 60_000;
let t: IsolatedEnvironment;

beforeAll(async () => {
  t = await isolatedEnvironment();
});
afterAll(() => t?.cleanup());

async function scheduleRow(id: string) {
  const { rows } = await t.deps.pool.query('SELECT * FROM schedules WHERE id = $1', [id]);
  return rows[0];
}

describe('scheduling-sweep', () => {
  const now = new Date();
  const due = new Date(now.getTime() - 2 * MINUTE);
  const ids = {} as Record<
    | 'accountSync'
    | 'push'
    | 'returns'
    | 'future'
    | 'disabled'
    | 'accountOff'
    | 'noCredentials'
    | 'unknownKind'
    | 'badCadence',
    string
  >;

  beforeAll(async () => {
    const pool = t.deps.pool;
    await seedAccount(pool, t.config, { id: 'ajio-1', marketplace: 'ajio' });
    await seedAccount(pool, t.config, { id: 'amz-1', marketplace: 'amazon' });
    await seedAccount(pool, t.config, { id: 'fk-1', marketplace: 'flipkart' });
    await seedAccount(pool, t.config, { id: 'off-1', marketplace: 'meesho', enabled: false });
    await seedAccount(pool, t.config, { id: 'nocred-1', marketplace: 'meesho', credentials: false });
    ids.accountSync = await seedSchedule(pool, {
      accountId: 'ajio-1',
      kind: 'account-sync',
      cadence: '15m',
      nextRunAt: due,
    });
    ids.push = await seedSchedule(pool, {
      accountId: 'amz-1',
      kind: 'marketplace-push',
      cadence: '1h',
      nextRunAt: due,
    });
    ids.returns = await seedSchedule(pool, { accountId: 'fk-1', kind: 'returns', cadence: '30m', nextRunAt: due });
    ids.future = await seedSchedule(pool, {
      accountId: 'ajio-1',
      kind: 'payouts',
      nextRunAt: new Date(now.getTime() + 10 * MINUTE),
    });
    ids.disabled = await seedSchedule(pool, { accountId: 'ajio-1', kind: 'documents', nextRunAt: due, enabled: false });
    ids.accountOff = await seedSchedule(pool, { accountId: 'off-1', kind: 'account-sync', nextRunAt: due });
    ids.noCredentials = await seedSchedule(pool, { accountId: 'nocred-1', kind: 'account-sync', nextRunAt: due });
    ids.unknownKind = await seedSchedule(pool, { accountId: 'amz-1', kind: 'teleport', nextRunAt: due });
    ids.badCadence = await seedSchedule(pool, {
      accountId: 'fk-1',
      kind: 'payouts',
      cadence: 'fortnightly',
      nextRunAt: due,
    });
  });

  it('sends exactly the due rows, each to the queue of its kind with its group and dedup id', async () => {
    const report = await runSweep(t.deps, sweep, { trigger: 'manual', now });

    expect(report).toMatchObject({ rowsClaimed: 3, messagesSent: 3, sendFailures: 0, rowsDeferred: 0, rowsSkipped: 4 });
    expect(report.details.skippedByReason).toEqual({ account_disabled: 1, missing_credentials: 1, needs_attention: 2 });

    const slot = due
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/(\d{4})\d{2}\.\d{3}Z$/, '$1Z');
    const queues = await t.drainAll();
    expect(queues.map((q) => q.queue).sort()).toEqual(['account-sync', 'marketplace-push-amazon', 'returns-sync']);
    const byQueue = Object.fromEntries(queues.map((q) => [q.queue, q.messages]));

    expect(byQueue['account-sync']).toEqual([
      {
        envelope: expect.objectContaining({
          v: 1,
          type: 'account.sync',
          accountId: 'ajio-1',
          marketplace: 'ajio',
          dueAt: due.toISOString(),
          idempotencyKey: `account.sync:ajio-1:s${ids.accountSync}:${slot}`,
          payload: { scheduleId: ids.accountSync },
        }),
        groupId: 'ajio-1',
        deduplicationId: `account.sync:ajio-1:s${ids.accountSync}:${slot}`,
      },
    ]);
    expect(byQueue['marketplace-push-amazon']).toEqual([
      expect.objectContaining({
        groupId: 'amz-1',
        envelope: expect.objectContaining({ type: 'marketplace.push', marketplace: 'amazon' }),
      }),
    ]);
    // Standard queue: no group, no dedup id.
    expect(byQueue['returns-sync']).toEqual([
      {
        envelope: expect.objectContaining({ type: 'returns.sync', accountId: 'fk-1' }),
        groupId: undefined,
        deduplicationId: undefined,
      },
    ]);
  });

  it('moves sent and skipped rows on by their cadence and flags rows it cannot understand', async () => {
    expect((await scheduleRow(ids.accountSync)).next_run_at).toEqual(new Date(due.getTime() + 15 * MINUTE));
    expect((await scheduleRow(ids.push)).next_run_at).toEqual(new Date(due.getTime() + 60 * MINUTE));
    expect((await scheduleRow(ids.accountOff)).next_run_at.getTime()).toBeGreaterThan(now.getTime());
    expect((await scheduleRow(ids.future)).next_run_at.getTime()).toBeGreaterThan(now.getTime());
    expect(await scheduleRow(ids.unknownKind)).toMatchObject({
      needs_attention: true,
      attention_reason: 'unknown schedule kind "teleport"',
    });
    expect(await scheduleRow(ids.badCadence)).toMatchObject({
      needs_attention: true,
      attention_reason: 'malformed cadence "fortnightly"',
    });
    const claims = await t.deps.pool.query('SELECT count(*)::int AS n FROM dispatch_claims WHERE sent_at IS NOT NULL');
    expect(claims.rows[0].n).toBe(3);
  });

  it('records the run in the sweep audit', async () => {
    const { rows } = await t.deps.pool.query("SELECT * FROM sweep_runs WHERE sweep = 'scheduling-sweep' ORDER BY id");
    expect(rows[0]).toMatchObject({
      status: 'succeeded',
      trigger: 'manual',
      rows_claimed: 3,
      messages_sent: 3,
      rows_skipped: 4,
    });
    expect(rows[0].finished_at).toBeInstanceOf(Date);
    expect(rows[0].details.problems).toEqual(
      expect.arrayContaining([{ id: `schedule ${ids.unknownKind}`, reason: 'unknown schedule kind "teleport"' }]),
    );
  });

  it('sends nothing new when run again in the same window', async () => {
    const again = await runSweep(t.deps, sweep, { trigger: 'manual', now });
    expect(again).toMatchObject({ rowsClaimed: 0, messagesSent: 0 });
    expect(await t.drainAll()).toEqual([]);
  });
});

describe('scheduling-sweep under contention and backpressure', () => {
  it('sends each due row once when two sweep processes run at once', async () => {
    await seedManyDueSchedules(t.deps.pool, {
      prefix: 'par',
      accounts: 40,
      count: 600,
      dueAt: new Date(Date.now() - MINUTE),
    });
    const runs = await Promise.all(
      [1, 2].map(() => runEntryPoint('src/commands/sweep.ts', { args: ['scheduling-sweep'], env: t.env })),
    );
    for (const run of runs) expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const sentPerRun = runs.map((run) => JSON.parse(run.stdout.trim().split('\n').pop()!).messagesSent as number);
    expect(sentPerRun[0]! + sentPerRun[1]!).toBe(600);

    const keys = (await t.drainAll()).flatMap((q) => q.messages.map((m) => m.envelope.idempotencyKey));
    expect(keys).toHaveLength(600);
    expect(new Set(keys).size).toBe(600);
  });

  it('sends every due row of more than one page (production page size), each once, and none of the rows not due', async () => {
    const now = new Date();
    const dueAt = new Date(now.getTime() - 5 * MINUTE);
    const dueCount = DEFAULT_PAGE_SIZE + 200;
    await seedManyDueSchedules(t.deps.pool, { prefix: 'page', accounts: 40, count: dueCount, dueAt });
    await seedManyDueSchedules(t.deps.pool, {
      prefix: 'later',
      accounts: 4,
      count: 20,
      dueAt: new Date(now.getTime() + 10 * MINUTE),
    });
    // The oracle: the seeded rows themselves, read before the sweep runs, and the clock.
    const seeded = await t.deps.pool.query<{ id: string }>(
      "SELECT id FROM schedules WHERE account_id LIKE 'page-%' ORDER BY id",
    );
    expect(seeded.rows).toHaveLength(dueCount);

    const report = await runSweep(t.deps, sweep, { trigger: 'manual', now });

    expect(report).toMatchObject({ messagesSent: dueCount, sendFailures: 0 });
    const messages = (await t.drainAll()).flatMap((q) => q.messages);
    const sent = messages.map((m) => String(m.envelope.payload.scheduleId)).sort();
    expect(sent).toEqual(seeded.rows.map((row) => row.id).sort());
    expect(new Set(messages.map((m) => m.envelope.dueAt))).toEqual(new Set([dueAt.toISOString()]));
  });

  it('leaves rows of a queue over its backlog ceiling for a later run, and records that', async () => {
    const pool = t.deps.pool;
    await seedAccount(pool, t.config, { id: 'bp-1', marketplace: 'meesho' });
    const returnsId = await seedSchedule(pool, {
      accountId: 'bp-1',
      kind: 'returns',
      nextRunAt: new Date(Date.now() - MINUTE),
    });
    const payoutsId = await seedSchedule(pool, {
      accountId: 'bp-1',
      kind: 'payouts',
      nextRunAt: new Date(Date.now() - MINUTE),
    });
    await t.deps.sqs.send(new SendMessageCommand({ QueueUrl: t.queueUrl('returns-sync'), MessageBody: 'backlog' }));
    const stalled = QUEUES.map((q) => (q.name === 'returns-sync' ? { ...q, backlogCeiling: 0 } : q));

    const deferred = await runSweep({ ...t.deps, catalogue: stalled }, sweep, { trigger: 'manual' });
    expect(deferred).toMatchObject({ messagesSent: 1, rowsDeferred: 1 });
    expect(deferred.details.deferredByQueue).toEqual({ 'returns-sync': 1 });
    expect((await scheduleRow(returnsId)).last_slot_at).toBeNull();
    expect((await scheduleRow(payoutsId)).last_slot_at).not.toBeNull();
    const audit = await pool.query('SELECT rows_deferred FROM sweep_runs WHERE id = $1', [deferred.runId]);
    expect(audit.rows[0].rows_deferred).toBe(1);

    await t.deps.sqs.send(new PurgeQueueCommand({ QueueUrl: t.queueUrl('returns-sync') }));
    const later = await runSweep(t.deps, sweep, { trigger: 'manual' });
    expect(later).toMatchObject({ messagesSent: 1, rowsDeferred: 0 });
    const returns = await drainQueue(t.deps.sqs, t.queueUrl('returns-sync'));
    expect(returns.map((m) => m.envelope.payload.scheduleId)).toEqual([returnsId]);
    await t.drainAll();
  });
});
