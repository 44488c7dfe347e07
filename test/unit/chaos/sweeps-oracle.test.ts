/**
 * The lost-sweep-message rule of the chaos run (scripts/chaos/oracles/sweeps.ts): what seeded
 * schedules owe by a time, and how owed messages are found among the workflows by business identity.
 */
import type { Envelope } from '../../../src/contracts/envelope';
import { matchSweepMessages, owedSweepMessages } from '../../../scripts/chaos/oracles/sweeps';

const due = new Date('2026-01-01T10:00:00.000Z');
const schedule = (kind: string, cadence = '1d', accountId = 'acct-1') => ({
  scheduleId: `${kind}-${accountId}`,
  accountId,
  kind,
  cadence,
  nextRunAt: due,
});
const envelope = (type: string, accountId: string, dueAt: Date) =>
  ({ type, accountId, dueAt: dueAt.toISOString() }) as Envelope;

describe('owedSweepMessages', () => {
  it('owes one message per slot of the cadence up to the time, of the type the kind stands for', () => {
    const until = new Date(due.getTime() + 90 * 60_000);
    expect(owedSweepMessages([schedule('payouts')], until)).toEqual([
      { accountId: 'acct-1', type: 'payout.sync', dueAt: due, scheduleId: 'payouts-acct-1' },
    ]);
    expect(owedSweepMessages([schedule('inventory', '1h')], until).map((m) => m.dueAt)).toEqual([
      due,
      new Date(due.getTime() + 3_600_000),
    ]);
    expect(owedSweepMessages([schedule('account-sync')], new Date(due.getTime() - 1))).toEqual([]);
  });

  it('refuses a kind or cadence it cannot derive a message from, naming it', () => {
    expect(() => owedSweepMessages([schedule('nonsense')], due)).toThrow('"nonsense"');
    expect(() => owedSweepMessages([schedule('payouts', 'daily')], due)).toThrow('"daily"');
  });
});

describe('matchSweepMessages', () => {
  const owed = owedSweepMessages([schedule('payouts'), schedule('marketplace-push')], due);

  it('finds each owed message by account, type and due time', () => {
    const verdict = matchSweepMessages(owed, [
      { workflowId: 'w1', envelope: envelope('payout.sync', 'acct-1', due), settled: true },
      { workflowId: 'w2', envelope: envelope('marketplace.push', 'acct-1', due), settled: true },
    ]);
    expect({ lost: verdict.lost, extra: verdict.extra, found: [...verdict.found.keys()] }).toEqual({
      lost: [],
      extra: [],
      found: ['w1', 'w2'],
    });
  });

  it('reports an owed message with no workflow, or none settled, as lost', () => {
    const verdict = matchSweepMessages(owed, [
      { workflowId: 'w1', envelope: envelope('payout.sync', 'acct-1', due), settled: false },
    ]);
    expect(verdict.lost).toHaveLength(2);
  });

  it('reports a message for another slot or account, and a second one for one slot, as extra; other types apart', () => {
    const verdict = matchSweepMessages(owed, [
      { workflowId: 'w1', envelope: envelope('payout.sync', 'acct-1', due), settled: true },
      { workflowId: 'w1b', envelope: envelope('payout.sync', 'acct-1', due), settled: true },
      { workflowId: 'w2', envelope: envelope('marketplace.push', 'acct-1', due), settled: true },
      { workflowId: 'w3', envelope: envelope('payout.sync', 'acct-1', new Date(due.getTime() + 1_000)), settled: true },
      { workflowId: 'w4', envelope: envelope('payout.sync', 'acct-2', due), settled: true },
      { workflowId: 'w5', envelope: envelope('inventory.publish', 'acct-1', due), settled: true },
    ]);
    expect(verdict.lost).toEqual([]);
    expect(verdict.extra).toHaveLength(3);
    expect(verdict.other).toEqual(['w5']);
  });
});
