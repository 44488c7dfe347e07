/**
 * Orders and returns that happen while a test runs (the control API's hand, not a marketplace call):
 * a buyer places an order now, its status changes later, a return is opened. A marketplace sells
 * only what its listings show, so placing an order takes its units off them, and the first
 * cancellation puts them back.
 */
import type { SimNewOrder, SimOrderLine, SimReturn, SimWireOrder } from './control';
import { type Answer, failure, InputError, isCount, isNonEmptyString, isRecord, json } from './http';
import { type Check, checkExactFields, isString, optional } from './seed';
import { chronological, isCancellation, type Seller } from './state';

const isNewOrderLines: Check = (value) =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((line) => isRecord(line) && isNonEmptyString(line.sku) && isCount(line.quantity) && line.quantity > 0);

const byOrderedAt = (orders: SimWireOrder[]) =>
  chronological(
    orders,
    (order) => order.orderedAt,
    (order) => order.orderId,
  );

/** The units an order takes, per SKU (two lines of one SKU add up). */
function unitsPerSku(lines: SimOrderLine[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const { sku, quantity } of lines) units.set(sku, (units.get(sku) ?? 0) + quantity);
  return units;
}

/** What a buyer can order of a SKU: the listing's quantity while it is active, else nothing. */
function shownQuantity(seller: Seller, sku: string): number {
  const listing = seller.listings.get(sku);
  return listing?.status === 'active' ? listing.quantity : 0;
}

/**
 * `POST …/orders`: 201 with the order placed now, its units taken off the listings; or 409 and
 * nothing changes (a line's listing shows fewer units than ordered, or the orderId is taken).
 */
export function placeOrder(seller: Seller, body: unknown, now: number): Answer {
  const input = checkExactFields<SimNewOrder>(body, 'order', {
    orderId: isNonEmptyString,
    lines: isNewOrderLines,
    totalPaise: optional(isCount),
    status: optional(isNonEmptyString),
  });
  // Cancelled at birth would take units that nothing ever gives back: place it, then cancel it.
  if (input.status !== undefined && isCancellation(input.status)) {
    throw new InputError('order.status cannot be a cancellation: place the order, then set its status');
  }
  if (seller.orders.some((order) => order.orderId === input.orderId)) return failure(409, 'duplicate orderId');
  const units = unitsPerSku(input.lines);
  for (const [sku, wanted] of units) {
    const available = shownQuantity(seller, sku);
    if (available < wanted) return json(409, { error: 'insufficient quantity', sku, available });
  }
  for (const [sku, wanted] of units) seller.listings.get(sku)!.quantity -= wanted;
  const at = new Date(now).toISOString();
  const order: SimWireOrder = {
    orderId: input.orderId,
    status: input.status ?? 'created',
    totalPaise: input.totalPaise ?? 0,
    orderedAt: at,
    updatedAt: at,
    lines: input.lines.map(({ sku, quantity }) => ({ sku, quantity })),
  };
  seller.orders = byOrderedAt([...seller.orders, order]);
  return json(201, order);
}

/**
 * `POST …/orders/<orderId>/status` `{"status"}`: 200 with the order. Its `updatedAt` becomes now,
 * and always moves forward (a reader asking from just after the previous value sees the change).
 */
export function setOrderStatus(seller: Seller, orderId: string, body: unknown, now: number): Answer {
  const { status } = checkExactFields<{ status: string }>(body, 'body', { status: isNonEmptyString });
  const order = seller.orders.find((candidate) => candidate.orderId === orderId);
  if (!order) return failure(404, 'no such order');
  order.status = status;
  order.updatedAt = new Date(Math.max(now, Date.parse(order.updatedAt) + 1)).toISOString();
  if (isCancellation(status) && !seller.unitsPutBack.has(orderId)) putUnitsBack(seller, order);
  return json(200, order);
}

/** A cancelled order's units go back on its listings, once in the order's life. */
function putUnitsBack(seller: Seller, order: SimWireOrder): void {
  seller.unitsPutBack.add(order.orderId);
  for (const { sku, quantity } of order.lines) {
    const listing = seller.listings.get(sku);
    if (listing) listing.quantity += quantity;
  }
}

/** `POST …/returns` `{"returnId","orderId","status"}`: 201 with the return, created now. */
export function addReturn(seller: Seller, body: unknown, now: number): Answer {
  const input = checkExactFields<Omit<SimReturn, 'createdAt'>>(body, 'return', {
    returnId: isNonEmptyString,
    orderId: isNonEmptyString,
    status: isString,
  });
  if (!seller.orders.some((order) => order.orderId === input.orderId)) return failure(404, 'no such order');
  if (seller.returns.some((ret) => ret.returnId === input.returnId)) return failure(409, 'duplicate returnId');
  const ret: SimReturn = { ...input, createdAt: new Date(now).toISOString() };
  seller.returns = chronological(
    [...seller.returns, ret],
    (r) => r.createdAt,
    (r) => r.returnId,
  );
  return json(201, ret);
}
