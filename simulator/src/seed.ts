/**
 * Checks what the control API receives (a seller's seed for `PUT /_sim/sellers/<m>/<id>`, and the
 * checks other control bodies share), so a bad input fails loudly instead of later.
 */
import type { SimListing, SimSellerSeed } from './control';
import { InputError, isCount, isIsoDate, isNonEmptyString, isRecord } from './http';

export type Check = (value: unknown) => boolean;

/** Throws an InputError naming the first field of `value` that fails its check. */
function checkFields(value: unknown, where: string, checks: Record<string, Check>): void {
  if (!isRecord(value)) throw new InputError(`${where} must be an object`);
  for (const [field, check] of Object.entries(checks)) {
    if (!check(value[field])) throw new InputError(`${where}.${field} is missing or invalid`);
  }
}

/** Like checkFields, and a field it has no check for is refused too (a misspelt field fails loudly). */
export function checkExactFields<T>(value: unknown, where: string, checks: Record<keyof T & string, Check>): T {
  checkFields(value, where, checks);
  const unknown = Object.keys(value as object).find((field) => !(field in checks));
  if (unknown !== undefined) throw new InputError(`${where}.${unknown} is not a known field`);
  return value as T;
}

function checkList(value: unknown, where: string, checks: Record<string, Check>): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new InputError(`${where} must be an array`);
  value.forEach((item, index) => checkFields(item, `${where}[${index}]`, checks));
}

export const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
export const isString: Check = (value) => typeof value === 'string';
export const isListingStatus = (value: unknown): value is SimListing['status'] =>
  value === 'active' || value === 'inactive';
const isBase64: Check = (value) => typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
const isOrderLines: Check = (value) =>
  Array.isArray(value) && value.every((line) => isRecord(line) && isNonEmptyString(line.sku) && isCount(line.quantity));

export function checkSeed(seed: unknown): SimSellerSeed {
  checkFields(seed, 'seed', { credentials: isRecord });
  const { credentials } = seed as { credentials: Record<string, unknown> };
  checkFields(credentials, 'credentials', {
    refreshToken: optional(isNonEmptyString),
    accessToken: optional(isNonEmptyString),
    accessTokenExpiresAt: optional(isIsoDate),
    clientId: optional(isNonEmptyString),
    clientSecret: optional(isNonEmptyString),
    apiKey: optional(isNonEmptyString),
  });
  const lists = seed as Record<string, unknown>;
  checkList(lists.listings, 'listings', {
    sku: isNonEmptyString,
    quantity: isCount,
    pricePaise: isCount,
    status: isListingStatus,
  });
  checkList(lists.orders, 'orders', {
    orderId: isNonEmptyString,
    status: isString,
    totalPaise: isCount,
    orderedAt: isIsoDate,
    updatedAt: optional(isIsoDate),
    lines: isOrderLines,
  });
  checkList(lists.returns, 'returns', {
    returnId: isNonEmptyString,
    orderId: isString,
    status: isString,
    createdAt: isIsoDate,
  });
  checkList(lists.payouts, 'payouts', {
    payoutId: isNonEmptyString,
    orderId: isString,
    amountPaise: isCount,
    paidAt: isIsoDate,
  });
  checkList(lists.documents, 'documents', {
    documentId: isNonEmptyString,
    kind: isString,
    createdAt: isIsoDate,
    content: isBase64,
  });
  return seed as SimSellerSeed;
}
