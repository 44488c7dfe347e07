/**
 * Duplicate effects, counted from what the marketplace applied (the simulator ledger), key or no key:
 * a duplicate is the same effect (account, SKU, field, value) applied twice with no other value
 * written to that field in between. Counting idempotency keys cannot see a retry that derived a new
 * key: the marketplace then applies the one change twice under two keys.
 */
import type { SimLedgerEntry, SimListingChange } from '../../simulator/src/control';

const FIELDS = ['quantity', 'pricePaise', 'status'] as const;

export interface DuplicateEffect {
  sellerId: string;
  sku: string;
  field: (typeof FIELDS)[number];
  value: SimListingChange[(typeof FIELDS)[number]];
  /** The ledger entries (seq) that applied it: the first, then the repeat. */
  seqs: [number, number];
}

export function duplicateEffects(entries: readonly SimLedgerEntry[]): DuplicateEffect[] {
  const last = new Map<string, { value: unknown; seq: number }>();
  const duplicates: DuplicateEffect[] = [];
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    for (const change of entry.applied) {
      for (const field of FIELDS) {
        const value = change[field];
        if (value === undefined) continue;
        const where = `${entry.marketplace}\u0000${entry.sellerId}\u0000${change.sku}\u0000${field}`;
        const before = last.get(where);
        if (before && before.value === value) {
          duplicates.push({ sellerId: entry.sellerId, sku: change.sku, field, value, seqs: [before.seq, entry.seq] });
        }
        last.set(where, { value, seq: entry.seq });
      }
    }
  }
  return duplicates;
}
