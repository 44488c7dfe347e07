/**
 * Claims whose send failed are sent again by the scheduling sweep's own ticks, minutes later, with
 * the production lease (SWEEP_CLAIM_LEASE_SECONDS' default): the ticks run with `now` moved on as
 * the real five-minute cron would move it, instead of a shortened lease. SQS refuses SendMessageBatch through
 * a proxy answering 500 InternalError (an outage), on both SQS servers.
 */
import { loadConfig } from '../../src/config';
import { attentionSummary } from '../../src/db/attention';
import { MetricsBuffer, METRICS } from '../../src/observability/metrics';
import { businessSampler } from '../../src/observability/samplers';
import { findSweep } from '../../src/sweeps/registry';
import { runSweep, type SweepDependencies } from '../../src/sweeps/run-sweep';
import { createSweepDependencies } from '../../src/sweeps/sweep-dependencies';
import { seedAccount } from '../../scripts/harness/accounts';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { seedSchedule } from '../support/seed';
import { failActions, type FailingProxy } from '../support/sqs-fault-proxy';
import { sqsServers } from '../support/sqs';

jest.setTimeout(240_000);

const schedulingSweep = findSweep('scheduling-sweep');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The cron pattern of the scheduling sweep, every five minutes. */
const TICK_MS = 5 * MINUTE;
/** The production lease: nothing in this file overrides SWEEP_CLAIM_LEASE_SECONDS. */
const LEASE_MS = loadConfig({ ...process.env, SWEEP_CLAIM_LEASE_SECONDS: undefined }).sweeps.claimLeaseSeconds * 1_000;

describe.each(sqsServers())('claim recovery on %s', (_server, serverEnv) => {
  let t: IsolatedEnvironment;
  let proxy: FailingProxy;
  /** The same sweep dependencies, but sending through the proxy. */
  let outage: ReturnType<typeof createSweepDependencies>;

  beforeAll(async () => {
    t = await isolatedEnvironment({ ...serverEnv, SWEEP_CLAIM_LEASE_SECONDS: undefined });
    proxy = await failActions(t.config.aws.sqsEndpoint!, ['SendMessageBatch']);
    outage = createSweepDependencies(loadConfig({ ...t.env, SQS_ENDPOINT: proxy.endpoint }));
  });
  afterAll(async () => {
    await outage?.close();
    await proxy?.close();
    await t?.cleanup();
  });

  const tick = (deps: SweepDependencies, now: Date) => runSweep(deps, schedulingSweep, { trigger: 'schedule', now });

  async function claimOf(scheduleId: string) {
    const { rows } = await t.deps.pool.query(
      `SELECT idempotency_key, claimed_at, sent_at, attempts, last_error, needs_attention, attention_reason, envelope
         FROM dispatch_claims WHERE schedule_id = $1 ORDER BY claimed_at`,
      [scheduleId],
    );
    return rows;
  }

  async function dueSchedule(accountId: string, cadence: string): Promise<string> {
    await seedAccount(t.deps.pool, t.config, { id: accountId, marketplace: 'meesho' });
    return seedSchedule(t.deps.pool, {
      accountId,
      kind: 'account-sync',
      cadence,
      nextRunAt: new Date(Date.now() - MINUTE),
    });
  }

  const sentKeys = async () =>
    (await t.drainAll()).flatMap((queue) => queue.messages.map((message) => message.envelope.idempotencyKey));

  it('runs with the production lease of 300 s', () => {
    expect(t.config.sweeps.claimLeaseSeconds * 1_000).toBe(LEASE_MS);
    expect(LEASE_MS).toBe(300_000);
  });

  it('sends a claim whose send failed at the first tick after its lease ran out, unchanged', async () => {
    const scheduleId = await dueSchedule('recover-1', '1d');
    const first = await tick(outage, new Date());
    expect(first).toMatchObject({ rowsClaimed: 1, messagesSent: 0, sendFailures: 1 });
    expect(proxy.failed()).toBeGreaterThan(0);
    const [claim] = await claimOf(scheduleId);
    expect(claim).toMatchObject({ sent_at: null, needs_attention: false });
    expect(claim.last_error).toContain('InternalError');
    expect(await sentKeys()).toEqual([]);

    // A tick while the lease still runs leaves the claim to its (possibly live) sender.
    const early = await tick(t.deps, new Date(claim.claimed_at.getTime() + LEASE_MS - 1_000));
    expect(early).toMatchObject({ rowsClaimed: 0, messagesSent: 0 });
    expect(await sentKeys()).toEqual([]);

    const next = await tick(t.deps, new Date(claim.claimed_at.getTime() + LEASE_MS + 1_000));
    expect(next).toMatchObject({ rowsClaimed: 1, messagesSent: 1, sendFailures: 0 });
    expect(next.details.resentClaims).toBe(1);
    expect(await sentKeys()).toEqual([claim.idempotency_key]);
    const [after] = await claimOf(scheduleId);
    expect(after.sent_at).toBeInstanceOf(Date);
    expect(after.attempts).toBe(2);
    expect(after.envelope).toEqual(claim.envelope);
  });

  it('measures the worst case: a send failing at a tick is sent by the tick after next, within 15 minutes', async () => {
    const scheduleId = await dueSchedule('recover-2', '1d');
    // The real cron's ticks, TICK_MS apart from one that starts now; the first one's send fails.
    const start = Date.now();
    const ticks: number[] = [];
    await tick(outage, new Date(start));
    const [claim] = await claimOf(scheduleId);
    let sentAt: number | undefined;
    for (let k = 1; k <= 4 && sentAt === undefined; k++) {
      const now = start + k * TICK_MS;
      ticks.push(now);
      if ((await tick(t.deps, new Date(now))).messagesSent > 0) sentAt = now;
    }
    // The claim is made a moment after its tick starts, so its lease outlives the next tick by that moment.
    const claimedAt = claim.claimed_at.getTime();
    const expected = ticks.find((now) => now > claimedAt + LEASE_MS);
    expect(sentAt).toBe(expected);
    expect(sentAt).toBe(start + 2 * TICK_MS);
    const recoverySeconds = (sentAt! - claimedAt) / 1_000;
    expect(recoverySeconds).toBeLessThanOrEqual(15 * 60);
    expect(recoverySeconds).toBeGreaterThan(LEASE_MS / 1_000);
    console.log(
      `worst-case claim recovery (lease ${LEASE_MS / 1_000} s, tick ${TICK_MS / 1_000} s): ` +
        `claimed ${claimedAt - start} ms into its tick, sent ${recoverySeconds.toFixed(3)} s later`,
    );
    expect(await sentKeys()).toEqual([claim.idempotency_key]);
  });

  it('flags a claim unsent for more than 24 h, not one unsent for 23 h however many its attempts', async () => {
    // Only this test's schedule runs: the earlier ones' next slots would come due within the day too.
    await t.deps.pool.query('UPDATE schedules SET enabled = false');
    const scheduleId = await dueSchedule('recover-3', '1d');
    const start = Date.now();
    await tick(outage, new Date(start));
    const [claim] = await claimOf(scheduleId);
    const claimedAt = claim.claimed_at.getTime();
    // SQS stays down for a day: every tick tries the claim again and fails.
    const outageTicks = [6 * MINUTE, HOUR, 6 * HOUR, 12 * HOUR, 18 * HOUR, 23 * HOUR];
    for (const offset of outageTicks) await tick(outage, new Date(claimedAt + offset));
    const [at23h] = await claimOf(scheduleId);
    expect(at23h).toMatchObject({ sent_at: null, needs_attention: false, attempts: 1 + outageTicks.length });
    expect((await attentionSummary(t.deps.pool)).claims).toEqual([]);

    const dayLater = await tick(outage, new Date(claimedAt + 24 * HOUR + 5 * MINUTE));
    const [flagged, nextSlot] = await claimOf(scheduleId);
    expect(flagged).toMatchObject({ idempotency_key: claim.idempotency_key, sent_at: null, needs_attention: true });
    expect(flagged.attention_reason).toContain('unsent for more than 24 h');
    expect(flagged.attention_reason).toContain('InternalError');
    expect(dayLater.details.problems).toContainEqual({ id: claim.idempotency_key, reason: flagged.attention_reason });
    // The schedule goes on: its next slot was claimed at the same tick, and it is not flagged.
    expect(nextSlot).toMatchObject({ sent_at: null, needs_attention: false });
    const schedule = await t.deps.pool.query('SELECT needs_attention FROM schedules WHERE id = $1', [scheduleId]);
    expect(schedule.rows[0].needs_attention).toBe(false);

    const summary = await attentionSummary(t.deps.pool);
    expect(summary.claims).toEqual([
      expect.objectContaining({
        idempotencyKey: claim.idempotency_key,
        accountId: 'recover-3',
        queue: 'account-sync',
        scheduleId,
        reason: flagged.attention_reason,
        claimedAt: claim.claimed_at,
        since: expect.any(Date),
      }),
    ]);

    // SQS is back: the next tick sends the next slot's claim, never the flagged one.
    const back = await tick(t.deps, new Date(claimedAt + 24 * HOUR + 5 * MINUTE + LEASE_MS + 1_000));
    expect(back.messagesSent).toBe(1);
    expect(await sentKeys()).toEqual([nextSlot.idempotency_key]);
  });

  it('counts flagged claims and schedules in the gauges the alarms watch, 0 when there are none', async () => {
    const sample = async () => {
      const buffer = new MetricsBuffer();
      await businessSampler(t.deps.pool)(buffer);
      const datums = buffer.drain();
      const value = (name: string) => datums.find((datum) => datum.MetricName === name)?.Value;
      return {
        claims: value(METRICS.claimsNeedingAttention.name),
        schedules: value(METRICS.schedulesNeedingAttention.name),
      };
    };
    // The claim the test above flagged, and no schedule yet.
    expect(await sample()).toEqual({ claims: 1, schedules: 0 });

    // A schedule the sweep cannot understand is flagged by the next tick.
    await seedAccount(t.deps.pool, t.config, { id: 'recover-4', marketplace: 'amazon' });
    const unknown = await seedSchedule(t.deps.pool, {
      accountId: 'recover-4',
      kind: 'teleport',
      nextRunAt: new Date(Date.now() - MINUTE),
    });
    await tick(t.deps, new Date());
    expect(await sample()).toEqual({ claims: 1, schedules: 1 });
    expect((await attentionSummary(t.deps.pool)).schedules).toEqual([
      {
        id: unknown,
        accountId: 'recover-4',
        kind: 'teleport',
        reason: 'unknown schedule kind "teleport"',
        since: expect.any(Date),
      },
    ]);
  });
});
