/**
 * Unsent claims whose lease ran out (the sweep that claimed them crashed, or SQS refused the send)
 * are sent again, unchanged, so the same deduplication id and idempotency key apply. Every
 * scheduling-sweep tick does this first (`resendExpiredClaims`), so a failed send waits minutes, not
 * a day; the daily `claim-sweeper` runs the same step as a safety net and deletes sent claims past
 * their retention.
 *
 * A claim still unsent a day after it was made is flagged for a person (and alarms) instead of being
 * sent again: by its age, not by its number of attempts, because a tick every 5 minutes makes a
 * count of attempts a measure of how long SQS was down, and an outage must not stop work for good.
 * Its schedule is not flagged: it goes on producing its next slots.
 */
import { flagClaims, lockExpiredClaims, pruneSentClaims, renewClaims, type UnsentClaim } from '../db/dispatch-claims';
import { inTransaction } from '../db/transaction';
import { claimLease, type SweepContext } from './context';
import { claimAndDispatch } from './dispatch';
import { countSkip, emptyReport, noteProblem } from './report';
import { type SweepReport } from '../contracts/sweeps';

/** How long a claim may stay unsent before a person must decide: a day-old message is stale work. */
export const UNSENT_CLAIM_ATTENTION_AGE_MS = 24 * 3_600_000;
/** Longer than any window in which SQS or a poller could still see a duplicate of the message. */
export const SENT_CLAIM_RETENTION_MS = 7 * 86_400_000;

function attentionReason(claim: UnsentClaim): string {
  return (
    `unsent for more than 24 h (claimed ${claim.claimedAt.toISOString()}, ${claim.attempts} attempts); ` +
    `last error: ${claim.lastError ?? 'the sender stopped before sending'}`
  );
}

function isTooOld(ctx: SweepContext, claim: UnsentClaim): boolean {
  return ctx.now.getTime() - claim.claimedAt.getTime() > UNSENT_CLAIM_ATTENTION_AGE_MS;
}

/**
 * Sends again every unsent claim whose lease ran out, and flags those older than a day. Each resent
 * claim gets a fresh lease first, so a concurrent run (another sweeper, a manual sweep) leaves it to
 * this one while it is being sent.
 */
export async function resendExpiredClaims(ctx: SweepContext, report: SweepReport): Promise<void> {
  const before = report.messagesSent;
  await claimAndDispatch(ctx, report, null, () =>
    inTransaction(ctx.pool, async (client) => {
      const expired = await lockExpiredClaims(client, ctx.now, ctx.pageSize);
      if (expired.length === 0) return undefined;
      const stale = expired.filter((claim) => isTooOld(ctx, claim));
      const retry = expired.filter((claim) => !isTooOld(ctx, claim));
      const flags = stale.map((claim) => ({ key: claim.idempotencyKey, reason: attentionReason(claim) }));
      await flagClaims(client, flags);
      for (const flag of flags) {
        countSkip(report, 'needs_attention');
        noteProblem(report, flag.key, flag.reason);
      }
      await renewClaims(
        client,
        retry.map((claim) => claim.idempotencyKey),
        claimLease(ctx),
      );
      return { claims: retry, next: null };
    }),
  );
  report.details.resentClaims = report.messagesSent - before;
}

export async function claimSweeper(ctx: SweepContext, report: SweepReport = emptyReport()): Promise<SweepReport> {
  await resendExpiredClaims(ctx, report);
  report.details.prunedSentClaims = await pruneSentClaims(
    ctx.pool,
    new Date(ctx.now.getTime() - SENT_CLAIM_RETENTION_MS),
  );
  return report;
}
