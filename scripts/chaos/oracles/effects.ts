/**
 * Duplicate side effects, counted per business effect from the simulator's ledger, key or no key: the
 * same value written to one field of one listing (marketplace, seller, SKU, field) twice in a row, with
 * no other value written to that field in between, is one effect applied twice.
 *
 * Consecutive equal writes also happen legitimately in the chaos workload, and must not count:
 * - every marketplace.push writes the desired price and status of every listing of its account, so two
 *   pushes of one account write the same price twice in a row;
 * - a saga's undo restores the snapshot it read, which can equal what its forward step just wrote;
 * - a stock push whose outcome was unknown to one message (lost answer, activity given up) is pushed
 *   again by the next message that finds the listing behind, with the same quantity;
 * - a SKU's stock moves to a new version without changing what the listing shows (a reservation
 *   committed: stock and reserved drop together), and the new version is published.
 * Each of these is a second, separate decision: another message, or the undo of a step rather than the
 * step. A retry of one step that derives a new key (the bug this check exists for) is the same decision
 * applied twice. So a pair of consecutive equal writes is excused only when both writes can be traced
 * to a decision and the decisions differ. The trace uses the message keys the harness itself knows
 * (those it sent, and the messages it found in Temporal) and a stock push's state (its version), never
 * the rest of the key's spelling: a run scope or any suffix is ignored, and a write with no key, or a
 * key that names neither a known message nor a stock state, cannot be traced, so it is never excused. Edits made outside the API (the
 * simulator's setListing) are not in the ledger; the chaos workload makes none during a run.
 */
import type { SimLedgerEntry, SimListingChange } from '../../../simulator/src/control';

const FIELDS = ['quantity', 'pricePaise', 'status'] as const;
type Field = (typeof FIELDS)[number];

/** One value written to one field of one listing, and the decision it is traced to (if any). */
interface Write {
  seq: number;
  value: SimListingChange[Field];
  decision?: string;
  key: string | null;
}

/** `stock:<account>:<sku>:v<version>` or `stock:<account>:<hash of SKU versions>`, without what follows. */
const STOCK_STATE = /^stock:[^:]+:(?:[^:]+:v\d+|[0-9a-f]{32})/;

/**
 * The decision a write's key traces to: for a stock push, the stock state it publishes (the SKU's
 * version, or the batch's hash of SKU versions: a new version is a new decision, even when the shown
 * quantity comes out the same, as a reservation's commit leaves it); the longest known message key it
 * contains; whether it is an undo. Anything after those (a run scope, a suffix) is ignored.
 * Undefined when it names neither a stock state nor a known message.
 */
export function decisionOf(key: string | null, messageKeys: readonly string[]): string | undefined {
  if (!key) return undefined;
  const message = messageKeys
    .filter((messageKey) => key.includes(messageKey))
    .reduce<string | undefined>((longest, k) => (longest && longest.length >= k.length ? longest : k), undefined);
  const stock = STOCK_STATE.exec(key)?.[0];
  if (!message && !stock) return undefined;
  const undo = /:undo(:|$)/.test(key) ? 'undo' : 'forward';
  return `${stock ?? ''}|${message ?? ''}|${undo}`;
}

function writesPerField(ledger: readonly SimLedgerEntry[], messageKeys: readonly string[]): Map<string, Write[]> {
  const writes = new Map<string, Write[]>();
  const ordered = [...ledger].filter((entry) => entry.outcome === 'applied').sort((a, b) => a.seq - b.seq);
  for (const entry of ordered) {
    const decision = decisionOf(entry.idempotencyKey, messageKeys);
    for (const change of entry.applied) {
      for (const field of FIELDS) {
        if (change[field] === undefined) continue;
        const target = `${entry.marketplace}/${entry.sellerId}/${change.sku}/${field}`;
        const write = { seq: entry.seq, value: change[field], decision, key: entry.idempotencyKey };
        writes.set(target, [...(writes.get(target) ?? []), write]);
      }
    }
  }
  return writes;
}

/** A pair of consecutive equal writes is a duplicate unless both trace to decisions, and different ones. */
function isDuplicate(before: Write, after: Write): boolean {
  if (before.value !== after.value) return false;
  return before.decision === undefined || after.decision === undefined || before.decision === after.decision;
}

/** Every effect applied twice, as a line naming the field, the value and the two ledger entries. */
export function duplicateEffects(ledger: readonly SimLedgerEntry[], messageKeys: readonly string[]): string[] {
  const duplicates: string[] = [];
  for (const [target, writes] of writesPerField(ledger, messageKeys)) {
    for (let i = 1; i < writes.length; i += 1) {
      const [before, after] = [writes[i - 1]!, writes[i]!];
      if (isDuplicate(before, after))
        duplicates.push(
          `${target} = ${String(after.value)} applied twice: #${before.seq} (key ${before.key ?? 'none'}) ` +
            `and #${after.seq} (key ${after.key ?? 'none'})`,
        );
    }
  }
  return duplicates;
}
