/**
 * Listing updates, in the two shapes the marketplaces use: a batch with a result per SKU (AJIO,
 * Flipkart, Meesho) and Amazon's single-SKU JSON-patch. Both apply only the SKUs that pass.
 */
import type { SimListing, SimListingChange } from './control';
import { type Answer, failure, isCount, isNonEmptyString, isRecord, json, type ParsedBody } from './http';
import { isListingStatus } from './seed';
import type { Seller } from './state';

type ListingChange = Omit<SimListingChange, 'sku'>;
const CHANGE_FIELDS = ['quantity', 'pricePaise', 'status'] as const;

const INJECTED_FAILURE = 'validation failed (injected)';

/** Why a change cannot apply to this seller's SKU, if it cannot. */
function changeProblem(seller: Seller, sku: string, change: Record<string, unknown>): string | undefined {
  if (!seller.listings.has(sku)) return 'unknown sku';
  if (change.quantity !== undefined && !isCount(change.quantity)) return 'quantity must be an integer >= 0';
  if (change.pricePaise !== undefined && !isCount(change.pricePaise)) return 'pricePaise must be an integer >= 0';
  if (change.status !== undefined && !isListingStatus(change.status)) return 'status must be active or inactive';
  if (change.quantity === undefined && change.pricePaise === undefined && change.status === undefined) {
    return 'nothing to update';
  }
  return undefined;
}

/** Applies a checked change and notes it in `applied` (the ledger's record of what was written). */
function apply(seller: Seller, sku: string, change: ListingChange, applied: SimListingChange[]): void {
  const listing = seller.listings.get(sku);
  if (!listing) return;
  const written = Object.fromEntries(
    CHANGE_FIELDS.filter((field) => change[field] !== undefined).map((field) => [field, change[field]]),
  ) as ListingChange;
  Object.assign(listing, written);
  applied.push({ sku, ...written });
}

/** The SKUs a batch body names, for fault selectors; none when the body is not a batch. */
export function batchSkus(body: ParsedBody): string[] {
  const items = body.ok && isRecord(body.value) ? body.value.items : undefined;
  if (!Array.isArray(items)) return [];
  return items.flatMap((item) => (isRecord(item) && isNonEmptyString(item.sku) ? [item.sku] : []));
}

/** `{"items":[{"sku",…}]}` → 200 with a result per SKU, or 400 for a body of the wrong shape or size. */
export function updateBatch(
  seller: Seller,
  body: ParsedBody,
  limit: number,
  failSkus: Set<string>,
  applied: SimListingChange[],
): Answer {
  const items = body.ok && isRecord(body.value) ? body.value.items : undefined;
  if (!Array.isArray(items) || !items.every((item) => isRecord(item) && isNonEmptyString(item.sku))) {
    return failure(400, 'body must be {"items":[{"sku",…}]}');
  }
  if (items.length === 0) return failure(400, 'no items');
  if (items.length > limit) return failure(400, 'too many items');
  const results = (items as ({ sku: string } & Record<string, unknown>)[]).map(({ sku, ...change }) => {
    const problem = failSkus.has(sku) ? INJECTED_FAILURE : changeProblem(seller, sku, change);
    if (problem) return { sku, status: 'FAILURE', error: problem };
    apply(seller, sku, change as ListingChange, applied);
    return { sku, status: 'SUCCESS' };
  });
  return json(200, { results });
}

const PATCH_FIELDS: Record<string, keyof ListingChange> = {
  '/attributes/quantity': 'quantity',
  '/attributes/price': 'pricePaise',
  '/attributes/status': 'status',
};

/** Amazon's patches as one change, or the issues that make the request invalid. */
function patchChange(body: ParsedBody): { change: Record<string, unknown> } | { issues: string[] } {
  const patches = body.ok && isRecord(body.value) ? body.value.patches : undefined;
  if (!Array.isArray(patches) || patches.length === 0) return { issues: ['body must be {"patches":[…]}'] };
  const change: Record<string, unknown> = {};
  const issues: string[] = [];
  for (const patch of patches) {
    const field = isRecord(patch) && typeof patch.path === 'string' ? PATCH_FIELDS[patch.path] : undefined;
    if (!isRecord(patch) || patch.op !== 'replace' || !field) {
      issues.push('each patch must be {"op":"replace","path":"/attributes/quantity|price|status","value"}');
    } else {
      change[field] = patch.value;
    }
  }
  return issues.length ? { issues } : { change };
}

/** `PATCH …/items/<sellerId>/<sku>`: all patches apply (200 ACCEPTED) or none do (400 INVALID). */
export function patchItem(
  seller: Seller,
  sku: string,
  body: ParsedBody,
  failSkus: Set<string>,
  applied: SimListingChange[],
): Answer {
  const invalid = (issues: string[]) => json(400, { sku, status: 'INVALID', issues });
  if (failSkus.has(sku)) return invalid([INJECTED_FAILURE]);
  const parsed = patchChange(body);
  if ('issues' in parsed) return invalid(parsed.issues);
  const problem = changeProblem(seller, sku, parsed.change);
  if (problem) return invalid([problem]);
  apply(seller, sku, parsed.change as ListingChange, applied);
  return json(200, { sku, status: 'ACCEPTED' });
}

/**
 * `PATCH /_sim/sellers/<m>/<id>/listings/<sku>` `{"quantity"?,"pricePaise"?,"status"?}`: the
 * listing edited in the seller's portal (drift a test injects). Not an API call, so no ledger entry.
 */
export function setListing(seller: Seller, sku: string, change: unknown): Answer {
  if (!isRecord(change)) return failure(400, 'body must be {"quantity"?,"pricePaise"?,"status"?}');
  const unknownField = Object.keys(change).find((field) => !(CHANGE_FIELDS as readonly string[]).includes(field));
  if (unknownField !== undefined) return failure(400, `unknown field ${unknownField}`);
  if (!seller.listings.has(sku)) return failure(404, 'no such listing');
  const problem = changeProblem(seller, sku, change);
  if (problem) return failure(400, problem);
  apply(seller, sku, change as ListingChange, []);
  return json(200, seller.listings.get(sku));
}

/** `?skus=a,b` → those of the seller's listings that exist; no `skus` → all of them. */
export function readListings(seller: Seller, skus: string[]): Answer {
  const wanted = skus.length ? [...new Set(skus)] : [...seller.listings.keys()].sort();
  return json(200, { items: wanted.flatMap((sku) => seller.listings.get(sku) ?? []) });
}

export const skusParam = (query: URLSearchParams): string[] =>
  (query.get('skus') ?? '')
    .split(',')
    .map((sku) => sku.trim())
    .filter(Boolean);
