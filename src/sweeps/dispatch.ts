import type { Claim } from '../db/dispatch-claims';
import { markSent, recordSendFailures } from '../db/dispatch-claims';
import { sendInBatches, type OutgoingMessage } from '../queues/batch-sender';
import { findQueue } from '../queues/inventory';
import { fifoAttributes, serializeEnvelope } from '../queues/messages';
import type { SweepContext } from './context';
import { noteProblem, type SweepReport } from './report';

/** In-flight SendMessageBatch calls per sweep process. */
export const SEND_PARALLELISM = 8;

async function toOutgoing(ctx: SweepContext, claim: Claim): Promise<OutgoingMessage> {
  const queue = findQueue(claim.queue);
  const fifo = queue.fifo ? fifoAttributes(claim.envelope) : undefined;
  return {
    key: claim.idempotencyKey,
    queueUrl: await ctx.queues.url(queue),
    body: serializeEnvelope(claim.envelope),
    groupId: fifo?.MessageGroupId,
    deduplicationId: fifo?.MessageDeduplicationId,
  };
}

/**
 * Sends claimed messages and records the outcome on each claim. A claim SQS did not accept stays
 * unsent; the claim-sweeper sends it again once its lease runs out.
 */
export async function dispatchClaims(ctx: SweepContext, claims: readonly Claim[], report: SweepReport): Promise<void> {
  if (claims.length === 0) return;
  const messages = await Promise.all(claims.map((claim) => toOutgoing(ctx, claim)));
  const outcome = await sendInBatches(ctx.sqs, messages, { parallelism: SEND_PARALLELISM });
  await markSent(ctx.pool, outcome.sent);
  await recordSendFailures(ctx.pool, outcome.failed);
  report.messagesSent += outcome.sent.length;
  report.sendFailures += outcome.failed.length;
  for (const failure of outcome.failed) noteProblem(report, failure.key, `send failed: ${failure.reason}`);
}

/**
 * Claims page after page and sends each page while the next one is being claimed, so the database
 * and SQS work at the same time. `claimPage` returns undefined when nothing is left.
 */
export async function claimAndDispatch<Cursor>(
  ctx: SweepContext,
  report: SweepReport,
  start: Cursor,
  claimPage: (cursor: Cursor) => Promise<{ claims: Claim[]; next: Cursor } | undefined>,
): Promise<void> {
  let pending = claimPage(start);
  for (;;) {
    const page = await pending;
    if (!page) return;
    pending = claimPage(page.next);
    // Keep a failure of the next claim from surfacing as unhandled while this page is sent.
    pending.catch(() => undefined);
    report.rowsClaimed += page.claims.length;
    await dispatchClaims(ctx, page.claims, report);
  }
}
