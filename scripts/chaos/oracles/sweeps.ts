/**
 * Lost sweep messages, derived from what the harness seeded and the clock, never from the tables the
 * sweep writes (dispatch_claims, the schedules' next_run_at): each seeded schedule owes one message per
 * slot of its cadence from its first due time up to the check, of the type its kind stands for, for
 * its account, due at that slot. Each owed message is looked for in Temporal by that business identity
 * (account, type, due time) in the workflows' own input; one no workflow completed and no DLQ holds
 * is lost. Sweep messages that match nothing owed (or a second workflow for one owed message) are
 * reported as extra.
 */
import type { Envelope, MessageType } from '../../../src/contracts/envelope';
import type { SeededSchedule } from '../workload';

/** The message each kind the harness seeds stands for (docs/sweeps.md), written out here on purpose. */
const MESSAGE_OF_KIND: Record<string, MessageType> = {
  'account-sync': 'account.sync',
  'marketplace-push': 'marketplace.push',
  payouts: 'payout.sync',
  inventory: 'inventory.repair',
};

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

function cadenceMs(cadence: string): number {
  const match = /^(\d+)([mhd])$/.exec(cadence);
  if (!match) throw new Error(`the chaos oracle cannot read the cadence "${cadence}" it seeded`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export interface OwedMessage {
  accountId: string;
  type: MessageType;
  dueAt: Date;
  scheduleId: string;
}

const identityOf = (m: { accountId: string; type: string; dueAt: Date }) =>
  `${m.type} ${m.accountId} ${m.dueAt.toISOString()}`;

/** Every message the seeded schedules owe by `until`: one per slot of each schedule's cadence. */
export function owedSweepMessages(schedules: readonly SeededSchedule[], until: Date): OwedMessage[] {
  return schedules.flatMap((schedule) => {
    const type = MESSAGE_OF_KIND[schedule.kind];
    if (!type) throw new Error(`the chaos oracle does not know what schedule kind "${schedule.kind}" owes`);
    const step = cadenceMs(schedule.cadence);
    const owed: OwedMessage[] = [];
    for (let due = schedule.nextRunAt.getTime(); due <= until.getTime(); due += step)
      owed.push({ accountId: schedule.accountId, type, dueAt: new Date(due), scheduleId: schedule.scheduleId });
    return owed;
  });
}

export interface FoundMessage {
  workflowId: string;
  envelope: Envelope;
  /** Completed, or its message is in a DLQ: the message was not lost. */
  settled: boolean;
}

export interface SweepVerdict {
  owed: number;
  lost: string[];
  /** Messages of a scheduled type that no seeded schedule owes, or a second one for an owed message. */
  extra: string[];
  /** Messages of other types (other sweeps' work: the outbox's publishes, token refreshes, ...). */
  other: string[];
  /** The workflow ids of owed messages found (for the order and saga checks). */
  found: Map<string, Envelope>;
}

/** Matches owed messages with the sweep's workflows (those not sent by the producer). */
export function matchSweepMessages(owed: readonly OwedMessage[], candidates: readonly FoundMessage[]): SweepVerdict {
  const byIdentity = new Map<string, FoundMessage[]>();
  for (const candidate of candidates) {
    const { accountId, type, dueAt } = candidate.envelope;
    const identity = identityOf({ accountId, type, dueAt: new Date(dueAt) });
    byIdentity.set(identity, [...(byIdentity.get(identity) ?? []), candidate]);
  }
  const lost: string[] = [];
  const extra: string[] = [];
  const found = new Map<string, Envelope>();
  const owedIdentities = new Set<string>();
  for (const message of owed) {
    const identity = identityOf(message);
    owedIdentities.add(identity);
    const matches = byIdentity.get(identity) ?? [];
    for (const match of matches) found.set(match.workflowId, match.envelope);
    if (!matches.some((match) => match.settled))
      lost.push(`${identity} (schedule ${message.scheduleId}): ${matches.length ? 'not completed' : 'no workflow'}`);
    extra.push(...matches.slice(1).map((match) => `${match.workflowId}: a second workflow for ${identity}`));
  }
  const other: string[] = [];
  const scheduledTypes = new Set<string>(Object.values(MESSAGE_OF_KIND));
  for (const [identity, matches] of byIdentity) {
    if (owedIdentities.has(identity)) continue;
    for (const match of matches) {
      if (scheduledTypes.has(match.envelope.type)) extra.push(`${match.workflowId}: owed by no seeded schedule`);
      else other.push(match.workflowId);
    }
  }
  return { owed: owed.length, lost, extra, other, found };
}
