/**
 * The two AJIO sweeps fan out over enabled AJIO accounts onto `account-sync.fifo`: orders syncs in
 * the account's group, token refreshes in the account's token group (`token:<account>`), so a
 * refresh never waits behind the syncs that need it and two refreshes of one account never race.
 * The claim key includes the cron slot: a second run in the same window claims nothing new.
 */
import type { Claim } from '../db/dispatch-claims';
import { insertClaims } from '../db/dispatch-claims';
import { enabledAccountsPage, type AccountForSweep } from '../db/accounts';
import { inTransaction } from '../db/transaction';
import { queueForMessage } from '../queues/routing';
import { type MessageType } from '../contracts/envelope';
import { overfullQueues } from './backpressure';
import { buildClaim, claimLease, type SweepContext } from './context';
import { claimAndDispatch } from './dispatch';
import { countDeferral, countSkip, emptyReport } from './report';
import { type SweepReport } from '../contracts/sweeps';

/** Refresh tokens that expire before the next 4-hourly run, plus this margin for a late or failed run. */
export const TOKEN_REFRESH_MARGIN_MS = 60 * 60_000;
const TOKEN_REVALIDATION_PERIOD_MS = 4 * 3_600_000;

interface FanOut {
  type: MessageType;
  /** Accounts that need no message this run (not an error: nothing is due). */
  isDue: (account: AccountForSweep) => boolean;
}

function skipReason(account: AccountForSweep): string | undefined {
  if (account.status === 'needs_reauth') return 'account_needs_reauth';
  if (!account.hasCredentials) return 'missing_credentials';
  return undefined;
}

async function ajioFanOut(ctx: SweepContext, { type, isDue }: FanOut, report: SweepReport): Promise<SweepReport> {
  const queue = queueForMessage(type, 'ajio').name;
  const overfull = (await overfullQueues(ctx)).has(queue);
  const claimPage = (afterId: string) =>
    inTransaction(ctx.pool, async (client) => {
      const accounts = await enabledAccountsPage(client, 'ajio', afterId, ctx.pageSize);
      if (accounts.length === 0) return undefined;
      const claims: Claim[] = [];
      for (const account of accounts.filter(isDue)) {
        const reason = skipReason(account);
        if (reason) countSkip(report, reason);
        else if (overfull) countDeferral(report, queue);
        else claims.push(buildClaim({ ctx, type, accountId: account.id, marketplace: 'ajio', slotAt: ctx.slot }));
      }
      const fresh = await insertClaims(client, claims, claimLease(ctx));
      return { claims: fresh, next: accounts.at(-1)!.id };
    });
  await claimAndDispatch(ctx, report, '', claimPage);
  return report;
}

export function ajioTokenRevalidation(ctx: SweepContext, report = emptyReport()): Promise<SweepReport> {
  const horizon = ctx.now.getTime() + TOKEN_REVALIDATION_PERIOD_MS + TOKEN_REFRESH_MARGIN_MS;
  return ajioFanOut(
    ctx,
    {
      type: 'ajio.token-refresh',
      // No known expiry: refresh, since a token of unknown age is the likeliest to fail.
      isDue: (account) => account.tokenExpiresAt === null || account.tokenExpiresAt.getTime() < horizon,
    },
    report,
  );
}

export function ajioOrdersAutosync(ctx: SweepContext, report = emptyReport()): Promise<SweepReport> {
  return ajioFanOut(ctx, { type: 'ajio.orders-sync', isDue: () => true }, report);
}
