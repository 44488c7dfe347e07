import type { Claim } from '../db/dispatch-claims';
import type { SendOutcome } from '../queues/batch-sender';
import { sendClaims as sendAndRecordClaims } from '../queues/claim-sender';
import { createLimiter, type Limiter } from '../platform/concurrency';
import type { SweepContext } from './context';
import { noteProblem } from './report';
import { type SweepReport } from '../contracts/sweeps';

/** In-flight SendMessageBatch calls per sweep process. */
export const SEND_PARALLELISM = 8;

/**
 * Sends the claims and records what SQS accepted on each. A claim SQS did not accept stays unsent;
 * the next scheduling tick sends it again once its lease runs out.
 */
function sendClaims(ctx: SweepContext, claims: readonly Claim[], limiter: Limiter): Promise<SendOutcome> {
  return sendAndRecordClaims({ sqs: ctx.sqs, directory: ctx.queues, pool: ctx.pool }, claims, { limiter });
}

/** Logs and counts what was sent, and notes what was not, in the run's report. */
function recordOutcome(ctx: SweepContext, claims: readonly Claim[], outcome: SendOutcome, report: SweepReport): void {
  logSent(ctx, claims, outcome);
  report.messagesSent += outcome.sent.length;
  report.sendFailures += outcome.failed.length;
  for (const failure of outcome.failed) noteProblem(report, failure.key, `send failed: ${failure.reason}`);
}

/**
 * One line per page at info (what was sent where: counts by queue, failures), and one line per message
 * at debug, carrying the trace id its poller, workflow and activities log with. A line per message at
 * info made a 100,000-row sweep write 100,000 lines, and its RSS grew with them; each message's send
 * stays on record in `dispatch_claims` (sent_at, sqs_message_id) whatever the level.
 */
function logSent(ctx: SweepContext, claims: readonly Claim[], outcome: SendOutcome): void {
  const byKey = new Map(claims.map((claim) => [claim.idempotencyKey, claim]));
  const sentByQueue: Record<string, number> = {};
  const perMessage = ctx.log.isLevelEnabled('debug');
  for (const { key, messageId } of outcome.sent) {
    const claim = byKey.get(key)!;
    sentByQueue[claim.queue] = (sentByQueue[claim.queue] ?? 0) + 1;
    if (!perMessage) continue;
    const { traceId, type, accountId } = claim.envelope;
    ctx.log.debug(
      { sweep: ctx.sweep, traceId, idempotencyKey: key, type, accountId, queue: claim.queue, messageId },
      'message sent',
    );
  }
  ctx.log.info(
    { sweep: ctx.sweep, sent: outcome.sent.length, failed: outcome.failed.length, sentByQueue },
    'page of messages sent',
  );
}

/** Pages being sent at once: the next page's batches queue behind this one's, so SQS never idles. */
const PAGES_IN_FLIGHT = 2;

/**
 * Claims page after page while earlier pages are sent and recorded, so the database and SQS work at
 * the same time and the send lanes stay full across page boundaries. At most PAGES_IN_FLIGHT pages
 * plus the one being claimed are held, so memory stays flat however many rows are due.
 * `claimPage` returns undefined when nothing is left.
 */
export async function claimAndDispatch<Cursor>(
  ctx: SweepContext,
  report: SweepReport,
  start: Cursor,
  claimPage: (cursor: Cursor) => Promise<{ claims: Claim[]; next: Cursor } | undefined>,
): Promise<void> {
  const limiter = createLimiter(SEND_PARALLELISM);
  const inFlight: Promise<void>[] = [];
  try {
    let page = await claimPage(start);
    while (page) {
      report.rowsClaimed += page.claims.length;
      const claims = page.claims;
      const sending = sendClaims(ctx, claims, limiter).then((outcome) => recordOutcome(ctx, claims, outcome, report));
      // Awaited below or in finally; this only keeps a failure from being reported as unhandled meanwhile.
      sending.catch(() => undefined);
      inFlight.push(sending);
      const next = claimPage(page.next);
      if (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
      page = await next;
    }
  } finally {
    await Promise.all(inFlight);
  }
}
