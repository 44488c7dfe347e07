import { setTimeout as sleep } from 'node:timers/promises';
import { spawnEntry } from '../../scripts/harness/spawn';
import { MAX_DISPATCH_ATTEMPTS } from '../../src/sweeps/claim-sweeper';
import { findSweep } from '../../src/sweeps/registry';
import { runSweep } from '../../src/sweeps/run-sweep';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { seedManyDueSchedules } from '../support/seed';
import { holdActions } from '../support/sqs-fault-proxy';

jest.setTimeout(120_000);

const claimSweeper = findSweep('claim-sweeper');
let t: IsolatedEnvironment;

beforeAll(async () => {
  // A one-second lease, so the test need not wait ten minutes for claims to expire.
  t = await isolatedEnvironment({ SWEEP_CLAIM_LEASE_SECONDS: '1' });
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

    await sleep(1100); // the lease runs out
    const report = await runSweep(t.deps, claimSweeper, { trigger: 'manual' });
    expect(report).toMatchObject({ rowsClaimed: 120, messagesSent: 120, sendFailures: 0 });
    expect(await claimCounts()).toEqual({ unsent: 0, sent: 120, flagged: 0 });

    const keys = (await drainedMessages()).map((m) => m.envelope.idempotencyKey);
    expect(keys).toHaveLength(120);
    expect(new Set(keys).size).toBe(120);

    // The schedules had moved on with their claims: the next scheduling sweep sends nothing again.
    expect((await runSweep(t.deps, findSweep('scheduling-sweep'), { trigger: 'manual' })).messagesSent).toBe(0);
    expect((await runSweep(t.deps, claimSweeper, { trigger: 'manual' })).messagesSent).toBe(0);
  });

  it('flags a claim that keeps failing, and its schedule, instead of re-sending it forever', async () => {
    const { rows } = await t.deps.pool.query(
      `UPDATE dispatch_claims SET sent_at = NULL, attempts = $1, last_error = 'InvalidParameterValue: test',
              lease_expires_at = now() - interval '1 minute'
        WHERE idempotency_key = (SELECT min(idempotency_key) FROM dispatch_claims)
        RETURNING idempotency_key, schedule_id`,
      [MAX_DISPATCH_ATTEMPTS],
    );
    const { idempotency_key: key, schedule_id: scheduleId } = rows[0];

    const report = await runSweep(t.deps, claimSweeper, { trigger: 'manual' });
    expect(report).toMatchObject({ messagesSent: 0, rowsSkipped: 1 });
    expect(report.details.problems).toEqual([
      { id: key, reason: `dispatch failed ${MAX_DISPATCH_ATTEMPTS} times; last error: InvalidParameterValue: test` },
    ]);
    const claim = await t.deps.pool.query('SELECT needs_attention FROM dispatch_claims WHERE idempotency_key = $1', [
      key,
    ]);
    expect(claim.rows[0].needs_attention).toBe(true);
    const schedule = await t.deps.pool.query('SELECT needs_attention, attention_reason FROM schedules WHERE id = $1', [
      scheduleId,
    ]);
    expect(schedule.rows[0]).toMatchObject({
      needs_attention: true,
      attention_reason: expect.stringContaining('dispatch failed'),
    });
    expect((await runSweep(t.deps, claimSweeper, { trigger: 'manual' })).rowsSkipped).toBe(0);
    expect(await drainedMessages()).toEqual([]);
  });

  it('deletes sent claims older than the retention', async () => {
    await t.deps.pool.query("UPDATE dispatch_claims SET sent_at = now() - interval '8 days' WHERE sent_at IS NOT NULL");
    const report = await runSweep(t.deps, claimSweeper, { trigger: 'manual' });
    expect(report.details.prunedSentClaims).toBe(119);
  });
});
