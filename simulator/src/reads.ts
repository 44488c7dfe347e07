/** Paged reads (`orders`, `returns`, `payouts`, `documents`): `?since=<ISO>&pageToken=<t>`, 50 a page. */
import { type Answer, failure, isIsoDate, json } from './http';
import type { Seller } from './state';

export const PAGE_SIZE = 50;

/** What one paged collection reads from a seller, and how its items look on the wire. */
export interface Collection<T> {
  items(seller: Seller): T[];
  /** The date `since` compares with. */
  dateOf(item: T): string;
  wire(item: T): unknown;
}

/**
 * A page token carries the `since` of the first page as well as the offset, so later pages stay
 * on the list the first page came from even if the caller drops `since`.
 */
interface PageCursor {
  since: string | null;
  offset: number;
}

const encodeCursor = (cursor: PageCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(token: string): PageCursor | undefined {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageCursor>;
    const sinceOk = cursor.since === null || isIsoDate(cursor.since);
    return sinceOk && Number.isSafeInteger(cursor.offset) && cursor.offset! >= 0 ? (cursor as PageCursor) : undefined;
  } catch {
    return undefined;
  }
}

export function readPage<T>(collection: Collection<T>, seller: Seller, query: URLSearchParams): Answer {
  const pageToken = query.get('pageToken');
  const cursor = pageToken ? decodeCursor(pageToken) : { since: query.get('since'), offset: 0 };
  if (!cursor) return failure(400, 'invalid pageToken');
  if (cursor.since !== null && !isIsoDate(cursor.since)) return failure(400, 'since must be an ISO date');
  const since = cursor.since === null ? -Infinity : Date.parse(cursor.since);
  const matching = collection.items(seller).filter((item) => Date.parse(collection.dateOf(item)) >= since);
  const end = cursor.offset + PAGE_SIZE;
  return json(200, {
    items: matching.slice(cursor.offset, end).map((item) => collection.wire(item)),
    nextPageToken: end < matching.length ? encodeCursor({ since: cursor.since, offset: end }) : null,
  });
}
