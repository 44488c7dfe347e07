/** Checks what `PUT /_sim/sellers/<m>/<id>` receives, so a bad seed fails loudly instead of later. */
import type { SimListing, SimSellerSeed } from './control';
import { InputError, isCount, isIsoDate, isNonEmptyString, isRecord } from './http';

type Check = (value: unknown) => boolean;

/** Throws an InputError naming the first field of `value` that fails its check. */
function checkFields(value: unknown, where: string, checks: Record<string, Check>): void {
  if (!isRecord(value)) throw new InputError(`${where} must be an object`);
  for (const [field, check] of Object.entries(checks)) {
    if (!check(value[field])) throw new InputError(`${where}.${field} is missing or invalid`);
  }
}

function checkList(value: unknown, where: string, checks: Record<string, Check>): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new InputError(`${where} must be an array`);
  value.forEach((item, index) => checkFields(item, `${where}[${index}]`, checks));
}

const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const isString: Check = (value) => typeof value === 'string';
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
