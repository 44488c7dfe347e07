import { findSweep } from '../../src/sweeps/registry';
import { runSweep } from '../../src/sweeps/run-sweep';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { seedAccount } from '../../scripts/harness/accounts';
import { drainQueue } from '../support/sqs';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
let t: IsolatedEnvironment;
// Mid-window of a 4-hourly tick, so slots are easy to reason about.
const now = new Date('2026-11-22T09:10:00Z');

beforeAll(async () => {
  t = await isolatedEnvironment();
  const at = (hours: number) => new Date(now.getTime() + hours * HOUR);
  const pool = t.deps.pool;
  await seedAccount(pool, t.config, { id: 'a-soon', marketplace: 'ajio', tokenExpiresAt: at(1) });
  await seedAccount(pool, t.config, { id: 'a-margin', marketplace: 'ajio', tokenExpiresAt: at(4.5) });
  await seedAccount(pool, t.config, { id: 'a-later', marketplace: 'ajio', tokenExpiresAt: at(10) });
  await seedAccount(pool, t.config, { id: 'a-unknown', marketplace: 'ajio', tokenExpiresAt: null });
  await seedAccount(pool, t.config, { id: 'a-off', marketplace: 'ajio', enabled: false, tokenExpiresAt: at(1) });
  await seedAccount(pool, t.config, {
    id: 'a-reauth',
    marketplace: 'ajio',
    status: 'needs_reauth',
    tokenExpiresAt: at(1),
  });
  await seedAccount(pool, t.config, { id: 'a-nocred', marketplace: 'ajio', credentials: false });
  await seedAccount(pool, t.config, { id: 'amz', marketplace: 'amazon', tokenExpiresAt: at(1) });
});
afterAll(() => t?.cleanup());

describe('ajio-token-revalidation', () => {
  const sweep = findSweep('ajio-token-revalidation');

  it("sends a token refresh on account-sync.fifo, in the account's token group, for each enabled AJIO account whose token expires before the next run", async () => {
    const report = await runSweep(t.deps, sweep, { trigger: 'manual', now });
    expect(report).toMatchObject({ messagesSent: 3, rowsSkipped: 2 });
    expect(report.details.skippedByReason).toEqual({ account_needs_reauth: 1, missing_credentials: 1 });

    const messages = await drainQueue(t.deps.sqs, t.queueUrl('account-sync'));
    expect(messages.map((m) => m.envelope.accountId).sort()).toEqual(['a-margin', 'a-soon', 'a-unknown']);
    for (const message of messages) {
      const key = `ajio.token-refresh:${message.envelope.accountId}:20261122T0800Z`;
      expect(message).toEqual({
        envelope: expect.objectContaining({
          type: 'ajio.token-refresh',
          marketplace: 'ajio',
          idempotencyKey: key,
          dueAt: '2026-11-22T08:00:00.000Z',
        }),
        // Its own group, so it never waits behind the account's syncs; still one per account.
        groupId: `token:${message.envelope.accountId}`,
        deduplicationId: key,
      });
    }
  });

  it('sends nothing new on a second run in the same 4-hour window', async () => {
    const again = await runSweep(t.deps, sweep, { trigger: 'manual', now: new Date(now.getTime() + HOUR) });
    expect(again.messagesSent).toBe(0);
    expect(await drainQueue(t.deps.sqs, t.queueUrl('account-sync'))).toEqual([]);
  });
});

describe('ajio-orders-autosync', () => {
  const sweep = findSweep('ajio-orders-autosync');

  it('sends an orders sync for every enabled AJIO account that can be synced, once per hour', async () => {
    const report = await runSweep(t.deps, sweep, { trigger: 'manual', now });
    expect(report).toMatchObject({ messagesSent: 4, rowsSkipped: 2 });
    const messages = await drainQueue(t.deps.sqs, t.queueUrl('account-sync'));
    expect(messages.map((m) => m.envelope.accountId).sort()).toEqual(['a-later', 'a-margin', 'a-soon', 'a-unknown']);
    expect(messages.every((m) => m.envelope.type === 'ajio.orders-sync' && m.groupId === m.envelope.accountId)).toBe(
      true,
    );
    expect(messages[0]!.deduplicationId).toMatch(/^ajio\.orders-sync:a-[a-z]+:20261122T0900Z$/);

    expect((await runSweep(t.deps, sweep, { trigger: 'manual', now })).messagesSent).toBe(0);
    const nextHour = await runSweep(t.deps, sweep, { trigger: 'manual', now: new Date(now.getTime() + HOUR) });
    expect(nextHour.messagesSent).toBe(4);
    await drainQueue(t.deps.sqs, t.queueUrl('account-sync'));
  });
});
