/**
 * Paged reads (`orders`, `returns`, `payouts`, `documents`), 50 a page: `?since=<ISO>&pageToken=<t>`,
 * and for orders also `?updatedSince=<ISO>&pageToken=<t>` (what changed, oldest change first).
 */
import { type Answer, failure, isIsoDate, isNonEmptyString, isRecord, json } from './http';
import type { Seller } from './state';

export const PAGE_SIZE = 50;

/** What one paged collection reads from a seller, and how its items look on the wire. */
export interface Collection<T> {
  items(seller: Seller): T[];
  /** The date `since` compares with. */
  dateOf(item: T): string;
  wire(item: T): unknown;
  /** Items that change after they were created (orders): what `updatedSince` reads. */
  changes?: { updatedAt(item: T): string; idOf(item: T): string };
}

/**
 * A `since` page token carries the `since` of the first page as well as the offset, so later pages
 * stay on the list the first page came from even if the caller drops `since`.
 */
interface OffsetCursor {
  since: string | null;
  offset: number;
}

/** Where an item stands in the `updatedSince` order: its `updatedAt`, then its id. */
interface ChangePosition {
  updatedAt: string;
  id: string;
}

/**
 * An `updatedSince` page token names the last item served rather than an offset (a keyset): an
 * item that changes while a reader pages moves behind that position and is served again later,
 * and the items not yet served cannot shift in front of it and be skipped.
 */
interface ChangeCursor {
  updatedSince: string;
  after: ChangePosition;
}

const encodeCursor = (cursor: OffsetCursor | ChangeCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(token: string): OffsetCursor | ChangeCursor | undefined {
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(cursor)) return undefined;
  if ('updatedSince' in cursor) {
    const { updatedSince, after } = cursor;
    const afterOk = isRecord(after) && isIsoDate(after.updatedAt) && isNonEmptyString(after.id);
    return isIsoDate(updatedSince) && afterOk ? (cursor as unknown as ChangeCursor) : undefined;
  }
  const sinceOk = cursor.since === null || isIsoDate(cursor.since);
  const offsetOk = Number.isSafeInteger(cursor.offset) && (cursor.offset as number) >= 0;
  return sinceOk && offsetOk ? (cursor as unknown as OffsetCursor) : undefined;
}

export function readPage<T>(collection: Collection<T>, seller: Seller, query: URLSearchParams): Answer {
  if (query.has('since') && query.has('updatedSince')) {
    return failure(
      400,
      'since and updatedSince cannot be combined (since filters by orderedAt, updatedSince by updatedAt)',
    );
  }
  const pageToken = query.get('pageToken');
  const cursor = pageToken ? decodeCursor(pageToken) : firstCursor(query);
  if (!cursor) return failure(400, 'invalid pageToken');
  if ('updatedSince' in cursor) {
    if (!isIsoDate(cursor.updatedSince)) return failure(400, 'updatedSince must be an ISO date');
    return collection.changes
      ? changedPage(collection, collection.changes, seller, cursor)
      : failure(400, 'updatedSince is only for orders');
  }
  if (cursor.since !== null && !isIsoDate(cursor.since)) return failure(400, 'since must be an ISO date');
  return offsetPage(collection, seller, cursor);
}

function firstCursor(query: URLSearchParams): OffsetCursor | { updatedSince: string; after?: undefined } {
  const updatedSince = query.get('updatedSince');
  return updatedSince === null ? { since: query.get('since'), offset: 0 } : { updatedSince };
}

function offsetPage<T>(collection: Collection<T>, seller: Seller, cursor: OffsetCursor): Answer {
  const since = cursor.since === null ? -Infinity : Date.parse(cursor.since);
  const matching = collection.items(seller).filter((item) => Date.parse(collection.dateOf(item)) >= since);
  const end = cursor.offset + PAGE_SIZE;
  return json(200, {
    items: matching.slice(cursor.offset, end).map((item) => collection.wire(item)),
    nextPageToken: end < matching.length ? encodeCursor({ since: cursor.since, offset: end }) : null,
  });
}

/** Oldest change first, ties by id (compared as plain strings, so the order is total and stable). */
function comparePositions(a: ChangePosition, b: ChangePosition): number {
  const byTime = Date.parse(a.updatedAt) - Date.parse(b.updatedAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function changedPage<T>(
  collection: Collection<T>,
  changes: NonNullable<Collection<T>['changes']>,
  seller: Seller,
  cursor: { updatedSince: string; after?: ChangePosition },
): Answer {
  const from = Date.parse(cursor.updatedSince);
  const { after } = cursor;
  const pending = collection
    .items(seller)
    .map((item) => ({ item, position: { updatedAt: changes.updatedAt(item), id: changes.idOf(item) } }))
    .filter(({ position }) => Date.parse(position.updatedAt) >= from)
    .filter(({ position }) => after === undefined || comparePositions(position, after) > 0)
    .sort((a, b) => comparePositions(a.position, b.position));
  const page = pending.slice(0, PAGE_SIZE);
  const last = page.at(-1);
  return json(200, {
    items: page.map(({ item }) => collection.wire(item)),
    nextPageToken:
      last && pending.length > PAGE_SIZE
        ? encodeCursor({ updatedSince: cursor.updatedSince, after: last.position })
        : null,
  });
}
