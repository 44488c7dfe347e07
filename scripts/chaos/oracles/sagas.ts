/**
 * Half-done sagas: a saga whose forward changes reached the marketplace and that neither completed,
 * compensated, nor was recorded as needing attention. "Forward change applied" comes from the
 * simulator's ledger, by the saga's business effect (its seller's listings, the field it changes,
 * while its workflow ran), not from its idempotency keys; the outcome from Temporal (a completed
 * workflow is a completed saga) and `saga_runs` (compensated, needs_attention).
 */
import type { Pool } from 'pg';
import type { SimLedgerEntry } from '../../../simulator/src/control';
import type { Envelope } from '../../../src/contracts/envelope';
import { workflowIdFor } from '../../../src/contracts/workflows';
import type { ChaosPlan } from '../plan';
import type { Check } from '../verify';

export interface SagaRun {
  status: string;
  startTime?: Date;
  closeTime?: Date;
}

/** Whether a ledger entry applied a change the saga would make: its SKU's quantity (deduct), or its account's listings (push). */
function isForwardChange(envelope: Envelope, accounts: Set<string>, entry: SimLedgerEntry): boolean {
  if (entry.outcome !== 'applied' || entry.operation !== 'listings-update') return false;
  if (envelope.type === 'inventory.deduct')
    return (
      accounts.has(entry.sellerId) &&
      entry.applied.some((change) => change.sku === envelope.payload.skuId && change.quantity !== undefined)
    );
  return entry.sellerId === envelope.accountId && entry.applied.length > 0;
}

export async function halfDoneSagaCheck(
  pool: Pool,
  plan: ChaosPlan,
  sent: Envelope[],
  workflows: Map<string, SagaRun>,
  ledger: SimLedgerEntry[],
): Promise<Check> {
  const { rows } = await pool.query<{ workflow_id: string; status: string }>(
    'SELECT workflow_id, status FROM saga_runs',
  );
  const recorded = new Map(rows.map((row) => [row.workflow_id, row.status]));
  const sellerAccounts = new Map(
    plan.sellers.map((seller) => [seller.sellerId, new Set(seller.accounts.map((a) => a.accountId))]),
  );
  const halfDone: string[] = [];
  let withForward = 0;
  for (const envelope of sent) {
    if (envelope.type !== 'inventory.deduct' && envelope.type !== 'marketplace.push') continue;
    const id = workflowIdFor(envelope);
    const run = workflows.get(id);
    if (!run?.startTime) continue;
    const [from, to] = [run.startTime.getTime(), run.closeTime?.getTime() ?? Date.now()];
    const accounts = sellerAccounts.get(envelope.sellerId ?? '') ?? new Set([envelope.accountId]);
    const forward = ledger.some((entry) => {
      const at = Date.parse(entry.at);
      return at >= from && at <= to && isForwardChange(envelope, accounts, entry);
    });
    if (!forward) continue;
    withForward += 1;
    const outcome = run.status === 'COMPLETED' ? 'completed' : recorded.get(id);
    if (outcome === 'completed' || outcome === 'compensated' || outcome === 'needs_attention') continue;
    halfDone.push(
      `${id}: its changes reached the marketplace; workflow ${run.status}, saga record ${outcome ?? 'none'}`,
    );
  }
  return {
    name: `half-done sagas (of ${withForward} whose changes reached a marketplace)`,
    value: halfDone.length,
    violation: true,
    detail: halfDone,
  };
}
