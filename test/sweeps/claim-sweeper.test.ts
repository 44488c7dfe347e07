import { setTimeout as sleep } from 'node:timers/promises';
import { spawnEntry } from '../../scripts/harness/spawn';
import { findSweep } from '../../src/sweeps/registry';
import { runSweep } from '../../src/sweeps/run-sweep';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { seedManyDueSchedules } from '../support/seed';
import { holdActions } from '../support/sqs-fault-proxy';

jest.setTimeout(120_000);

const claimSweeper = findSweep('claim-sweeper');
let t: IsolatedEnvironment;

/** The production lease; the sweeps run with `now` past it instead of waiting for it. */
const afterTheLease = () => new Date(Date.now() + t.config.sweeps.claimLeaseSeconds * 1_000 + 1_000);

beforeAll(async () => {
  t = await isolatedEnvironment({ SWEEP_CLAIM_LEASE_SECONDS: undefined });
});
afterAll(() => t?.cleanup());

async function claimCounts() {
  const { rows } = await t.deps.pool.query(
    `SELECT count(*) FILTER (WHERE sent_at IS NULL)::int AS unsent, count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent,
            count(*) FILTER (WHERE needs_attention)::int AS flagged
       FROM dispatch_claims`,
  );
  return rows[0] as { unsent: number; sent: number; flagged: number };
}

const drainedMessages = async () => (await t.drainAll()).flatMap((q) => q.messages);

describe('claim-sweeper', () => {
  it('recovers a sweep killed between claim and send: every claimed row is sent exactly once', async () => {
    await seedManyDueSchedules(t.deps.pool, {
      prefix: 'crash',
      accounts: 20,
      count: 120,
      dueAt: new Date(Date.now() - 60_000),
    });
    const proxy = await holdActions(t.config.aws.sqsEndpoint!, ['SendMessageBatch']);
    const sweepProcess = spawnEntry('src/commands/sweep.ts', {
      args: ['scheduling-sweep'],
      env: { ...t.env, SQS_ENDPOINT: proxy.endpoint },
      stdio: 'ignore',
    });
    try {
      // Claimed (committed) and stuck sending: the moment to pull the plug.
      for (let i = 0; i < 200 && !(proxy.held() > 0 && (await claimCounts()).unsent === 120); i++) await sleep(50);
      expect(await claimCounts()).toEqual({ unsent: 120, sent: 0, flagged: 0 });
      sweepProcess.kill('SIGKILL');
      await new Promise((resolve) => sweepProcess.once('exit', resolve));
    } finally {
      await proxy.close();
    }
    expect(await drainedMessages()).toEqual([]);

    const report = await runSweep(t.deps, claimSweeper, { trigger: 'manual', now: afterTheLease() });
    expect(report).toMatchObject({ rowsClaimed: 120, messagesSent: 120, sendFailures: 0 });
    expect(await claimCounts()).toEqual({ unsent: 0, sent: 120, flagged: 0 });

    const keys = (await drainedMessages()).map((m) => m.envelope.idempotencyKey);
    expect(keys).toHaveLength(120);
    expect(new Set(keys).size).toBe(120);

    // The schedules had moved on with their claims: the next scheduling sweep sends nothing again.
    expect((await runSweep(t.deps, findSweep('scheduling-sweep'), { trigger: 'manual' })).messagesSent).toBe(0);
    expect((await runSweep(t.deps, claimSweeper, { trigger: 'manual', now: afterTheLease() })).messagesSent).toBe(0);
  });

  // Specified behaviour changed (issue 14): a claim is flagged by its age (unsent for more than 24 h),
  // no longer after 3 attempts, and its schedule is not flagged with it.
  it('flags a claim unsent for more than a day, not its schedule, instead of re-sending it forever', async () => {
    const { rows } = await t.deps.pool.query(
      `UPDATE dispatch_claims SET sent_at = NULL, attempts = 3, last_error = 'InvalidParameterValue: test',
              lease_expires_at = now() - interval '1 minute'
        WHERE idempotency_key = (SELECT min(idempotency_key) FROM dispatch_claims)
        RETURNING idempotency_key, schedule_id, claimed_at`,
    );
    const { idempotency_key: key, schedule_id: scheduleId, claimed_at: claimedAt } = rows[0];
    const dayLater = new Date(claimedAt.getTime() + 24 * 3_600_000 + 60_000);

    const report = await runSweep(t.deps, claimSweeper, { trigger: 'manual', now: dayLater });
    expect(report).toMatchObject({ messagesSent: 0, rowsSkipped: 1 });
    expect(report.details.problems).toEqual([
      {
        id: key,
        reason: `unsent for more than 24 h (claimed ${claimedAt.toISOString()}, 3 attempts); last error: InvalidParameterValue: test`,
      },
    ]);
    const claim = await t.deps.pool.query('SELECT needs_attention FROM dispatch_claims WHERE idempotency_key = $1', [
      key,
    ]);
    expect(claim.rows[0].needs_attention).toBe(true);
    const schedule = await t.deps.pool.query('SELECT needs_attention FROM schedules WHERE id = $1', [scheduleId]);
    expect(schedule.rows[0].needs_attention).toBe(false);
    expect((await runSweep(t.deps, claimSweeper, { trigger: 'manual', now: dayLater })).rowsSkipped).toBe(0);
    expect(await drainedMessages()).toEqual([]);
  });

  it('deletes sent claims older than the retention', async () => {
    await t.deps.pool.query("UPDATE dispatch_claims SET sent_at = now() - interval '8 days' WHERE sent_at IS NOT NULL");
    const report = await runSweep(t.deps, claimSweeper, { trigger: 'manual' });
    expect(report.details.prunedSentClaims).toBe(119);
  });
});
