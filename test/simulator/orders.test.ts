/**
 * Orders that change while a test runs, in the simulator this checkout builds (in process): reads
 * by `updatedSince` with keyset pages, orders placed now against what the listings show, status
 * changes (a cancellation puts units back once), returns, listings edited in the seller's portal,
 * and the listing changes each ledger entry says it applied.
 */
import { randomUUID } from 'node:crypto';
import {
  type SimListing,
  type SimOrder,
  type SimSellerSeed,
  type SimWireOrder,
  SimulatorControl,
} from '../../simulator/src/control';
import { type RunningSimulator, startSimulator } from '../../simulator/src/server';

let simulator: RunningSimulator;
let sim: SimulatorControl;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  sim = new SimulatorControl(simulator.url);
});
afterAll(() => simulator.close());

// Bodies are whatever JSON the simulator answered; the assertions say what they must be.
type Json = any;

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const active = (sku: string, quantity: number): SimListing => ({ sku, quantity, pricePaise: 10_000, status: 'active' });

/** A Meesho seller (an API key is the simplest credential) with listings A and B of 10 units. */
async function meeshoSeller(seed: Partial<SimSellerSeed> = {}) {
  const id = `orders-test-${randomUUID()}`;
  await sim.putSeller('meesho', id, {
    credentials: { apiKey: `key-${id}` },
    listings: [active('A', 10), active('B', 10)],
    ...seed,
  });
  const headers = { 'x-api-key': `key-${id}` };
  return { id, headers, get: (path: string) => call('GET', `/meesho${path}`, headers) };
}

const quantities = async (id: string) =>
  Object.fromEntries((await sim.seller('meesho', id)).listings.map((listing) => [listing.sku, listing.quantity]));

const start = Date.parse('2025-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const ordersSince = (updatedSince: string) => `/orders?updatedSince=${encodeURIComponent(updatedSince)}`;

const order = (orderId: string, orderedAt: string, updatedAt?: string): SimOrder => ({
  orderId,
  status: 'delivered',
  totalPaise: 1_000,
  orderedAt,
  ...(updatedAt ? { updatedAt } : {}),
  lines: [{ sku: 'A', quantity: 1 }],
});

/** Pages through `updatedSince` to the end; `between(pageNumber)` runs after each page but the last. */
async function readAllChanges(
  get: (path: string) => Promise<{ status: number; body: Json }>,
  updatedSince: string,
  between: (pagesRead: number) => Promise<void> = async () => {},
): Promise<{ items: SimWireOrder[]; sizes: number[] }> {
  const items: SimWireOrder[] = [];
  const sizes: number[] = [];
  let path = ordersSince(updatedSince);
  for (;;) {
    const page = await get(path);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    sizes.push(page.body.items.length);
    if (!page.body.nextPageToken) return { items, sizes };
    await between(sizes.length);
    path = `/orders?pageToken=${encodeURIComponent(page.body.nextPageToken)}`;
  }
}

describe('reading orders by updatedSince', () => {
  it('answers the orders changed at or after it, oldest change first, ties by orderId; since still reads orderedAt', async () => {
    const { get } = await meeshoSeller({
      orders: [
        order('old-ordered-late-changed', at(0), at(50)),
        order('b-tie', at(10), at(30)),
        order('a-tie', at(11), at(30)),
        order('unchanged', at(20)),
        order('before', at(1), at(19)),
      ],
    });
    const changed = await get(ordersSince(at(20)));
    expect(changed.status).toBe(200);
    expect(changed.body.items.map((o: SimWireOrder) => o.orderId)).toEqual([
      'unchanged',
      'a-tie',
      'b-tie',
      'old-ordered-late-changed',
    ]);
    expect(changed.body.items[0]).toEqual({ ...order('unchanged', at(20)), updatedAt: at(20) });
    expect(changed.body.nextPageToken).toBeNull();

    const since = await get(`/orders?since=${encodeURIComponent(at(20))}`);
    expect(since.body.items.map((o: SimWireOrder) => o.orderId)).toEqual(['unchanged']);
  });

  it('refuses since with updatedSince, a date that is not one, and updatedSince on other collections', async () => {
    const { get } = await meeshoSeller();
    const both = await get(`/orders?since=${encodeURIComponent(at(0))}&updatedSince=${encodeURIComponent(at(0))}`);
    expect(both.status).toBe(400);
    expect(both.body.error).toMatch(/since and updatedSince cannot be combined/);
    expect(await get('/orders?updatedSince=yesterday')).toMatchObject({ status: 400 });
    expect(await get(`/returns?updatedSince=${encodeURIComponent(at(0))}`)).toMatchObject({ status: 400 });
  });

  it('never skips an order while a reader pages, and serves again later one changed after it was read', async () => {
    const seeded = Array.from({ length: 120 }, (_, i) => order(`O-${String(i).padStart(3, '0')}`, at(i)));
    const { id, get } = await meeshoSeller({ orders: [...seeded].reverse() });
    const ids = seeded.map((o) => o.orderId);

    const { items, sizes } = await readAllChanges(get, at(0), async (pagesRead) => {
      if (pagesRead !== 1) return;
      await sim.setOrderStatus('meesho', id, 'O-010', 'returned'); // read on page 1
      await sim.setOrderStatus('meesho', id, 'O-100', 'returned'); // not read yet
    });

    // Page 1 as seeded; then the rest, O-100 now among the changed; O-010 once more, changed.
    const expected = [...ids.slice(0, 100), ...ids.slice(101), 'O-010', 'O-100'];
    expect(items.map((o) => o.orderId)).toEqual(expected);
    expect(sizes).toEqual([50, 50, 21]);
    const [first, again] = items.filter((o) => o.orderId === 'O-010');
    expect(first).toMatchObject({ status: 'delivered', updatedAt: at(10) });
    expect(again!.status).toBe('returned');
    expect(Date.parse(again!.updatedAt)).toBeGreaterThan(Date.parse(at(119)));
    expect(items.filter((o) => o.orderId === 'O-100').map((o) => o.status)).toEqual(['returned']);
  });

  it('a change after the last page is in the next read from the last updatedAt seen', async () => {
    const { id, get } = await meeshoSeller({ orders: [order('O-1', at(0)), order('O-2', at(1))] });
    const { items } = await readAllChanges(get, at(0));
    const lastSeen = items.at(-1)!.updatedAt;
    await sim.setOrderStatus('meesho', id, 'O-1', 'shipped');
    const next = await readAllChanges(get, lastSeen);
    expect(next.items.map((o) => [o.orderId, o.status])).toEqual([
      ['O-2', 'delivered'],
      ['O-1', 'shipped'],
    ]);
  });

  it("a status change moves updatedAt past its previous value even when that is not behind the clock's now", async () => {
    const future = '2999-01-01T00:00:00.000Z';
    const { id, get } = await meeshoSeller({ orders: [order('O-F', at(0), future)] });
    const changed = await sim.setOrderStatus('meesho', id, 'O-F', 'shipped');
    expect(changed.updatedAt).toBe(plusMs(future, 1));
    const read = await get(ordersSince(plusMs(future, 1)));
    expect(read.body.items).toEqual([changed]);
  });
});

describe('placing an order now', () => {
  it('takes its units off the listings and answers the order as on the wire', async () => {
    const { id, get } = await meeshoSeller();
    const before = new Date().toISOString();
    const placed = await sim.placeOrder('meesho', id, {
      orderId: 'N-1',
      lines: [
        { sku: 'A', quantity: 3 },
        { sku: 'B', quantity: 1 },
        { sku: 'A', quantity: 2 },
      ],
      totalPaise: 4_500,
    });
    const after = new Date().toISOString();
    expect(placed).toMatchObject({ orderId: 'N-1', status: 'created', totalPaise: 4_500 });
    expect(placed.updatedAt).toBe(placed.orderedAt);
    expect(placed.orderedAt >= before && placed.orderedAt <= after).toBe(true);
    expect(await quantities(id)).toEqual({ A: 10 - 5, B: 10 - 1 });
    expect((await get(ordersSince(before))).body.items).toEqual([placed]);
    expect((await get(`/orders?since=${encodeURIComponent(before)}`)).body.items).toEqual([placed]);
    const defaults = await sim.placeOrder('meesho', id, { orderId: 'N-2', lines: [{ sku: 'B', quantity: 1 }] });
    expect(defaults).toMatchObject({ status: 'created', totalPaise: 0 });
  });

  it('sells only what a listing shows, all lines or none', async () => {
    const { id } = await meeshoSeller({
      listings: [active('A', 3), active('B', 5), { ...active('OFF', 9), status: 'inactive' }],
    });
    const refused = (lines: { sku: string; quantity: number }[]) =>
      sim.placeOrder('meesho', id, { orderId: `R-${randomUUID()}`, lines });
    const insufficient = (sku: string, available: number) => ({
      status: 409,
      body: { error: 'insufficient quantity', sku, available },
    });

    await expect(
      refused([
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 6 },
      ]),
    ).rejects.toMatchObject(insufficient('B', 5));
    await expect(
      refused([
        { sku: 'A', quantity: 2 },
        { sku: 'A', quantity: 2 },
      ]),
    ).rejects.toMatchObject(insufficient('A', 3));
    await expect(refused([{ sku: 'OFF', quantity: 1 }])).rejects.toMatchObject(insufficient('OFF', 0));
    await expect(refused([{ sku: 'NOPE', quantity: 1 }])).rejects.toMatchObject(insufficient('NOPE', 0));
    expect(await quantities(id)).toEqual({ A: 3, B: 5, OFF: 9 });

    await sim.placeOrder('meesho', id, { orderId: 'ALL', lines: [{ sku: 'A', quantity: 3 }] });
    expect(await quantities(id)).toEqual({ A: 0, B: 5, OFF: 9 });
    await expect(refused([{ sku: 'A', quantity: 1 }])).rejects.toMatchObject(insufficient('A', 0));
  });

  it('refuses a duplicate orderId (409), an unknown seller (404) and a malformed order (400)', async () => {
    const { id } = await meeshoSeller();
    const line = [{ sku: 'A', quantity: 1 }];
    await sim.placeOrder('meesho', id, { orderId: 'D-1', lines: line });
    await expect(sim.placeOrder('meesho', id, { orderId: 'D-1', lines: line })).rejects.toMatchObject({
      status: 409,
      body: { error: 'duplicate orderId' },
    });
    await expect(
      sim.placeOrder('meesho', `nobody-${randomUUID()}`, { orderId: 'X', lines: line }),
    ).rejects.toMatchObject({ status: 404 });
    for (const malformed of [
      { orderId: 'X', lines: [] },
      { orderId: 'X', lines: [{ sku: 'A', quantity: 0 }] },
      { orderId: '', lines: line },
      { orderId: 'X', lines: line, totalPaise: -1 },
      { orderId: 'X', lines: line, orderedAt: at(0) },
      { orderId: 'X', lines: line, status: 'cancelled' },
    ]) {
      await expect(sim.placeOrder('meesho', id, malformed as never)).rejects.toMatchObject({ status: 400 });
    }
    expect(await quantities(id)).toEqual({ A: 9, B: 10 });
  });

  it("is the test's hand, not an API call: faults, credentials and the ledger play no part", async () => {
    const { id } = await meeshoSeller({ credentials: {} });
    const rules = [
      await sim.addFault({ kind: 'error', sellerId: id }),
      await sim.addFault({ kind: 'revoked', marketplace: 'meesho' }),
    ];
    try {
      await sim.placeOrder('meesho', id, { orderId: 'H-1', lines: [{ sku: 'A', quantity: 1 }] });
      await sim.setOrderStatus('meesho', id, 'H-1', 'cancelled');
      await sim.addReturn('meesho', id, { returnId: 'HR-1', orderId: 'H-1', status: 'requested' });
      await sim.setListing('meesho', id, 'B', { quantity: 4 });
    } finally {
      for (const rule of rules) await sim.removeFault(rule);
    }
    expect(await quantities(id)).toEqual({ A: 10, B: 4 });
    expect(await sim.ledger({ sellerId: id })).toEqual([]);
  });
});

describe('order status changes', () => {
  it('a cancellation puts the units back once, whatever the spelling or how often; other statuses touch no listing', async () => {
    const { id } = await meeshoSeller();
    const placed = await sim.placeOrder('meesho', id, {
      orderId: 'C-1',
      lines: [
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 1 },
      ],
    });
    const stamps = [placed.updatedAt];
    const setStatus = async (status: string) => {
      const changed = await sim.setOrderStatus('meesho', id, 'C-1', status);
      expect(changed.status).toBe(status);
      stamps.push(changed.updatedAt);
      return quantities(id);
    };
    expect(await setStatus('shipped')).toEqual({ A: 8, B: 9 });
    expect(await setStatus('Cancelled')).toEqual({ A: 10, B: 10 });
    expect(await setStatus('CANCELED')).toEqual({ A: 10, B: 10 });
    expect(await setStatus('created')).toEqual({ A: 10, B: 10 });
    expect(await setStatus('cancelled')).toEqual({ A: 10, B: 10 });
    expect(await setStatus('returned')).toEqual({ A: 10, B: 10 });
    // Each change is strictly later than the one before.
    for (let i = 1; i < stamps.length; i++) {
      expect(Date.parse(stamps[i]!)).toBeGreaterThan(Date.parse(stamps[i - 1]!));
    }
  });

  it('a returned order keeps its units off; a seeded order cancelled later gives its units back, one seeded cancelled does not', async () => {
    const { id } = await meeshoSeller({
      orders: [
        { ...order('S-open', at(0)), lines: [{ sku: 'A', quantity: 4 }] },
        { ...order('S-gone', at(1)), status: 'cancelled', lines: [{ sku: 'B', quantity: 3 }] },
      ],
    });
    await sim.setOrderStatus('meesho', id, 'S-open', 'returned');
    expect(await quantities(id)).toEqual({ A: 10, B: 10 });
    await sim.setOrderStatus('meesho', id, 'S-open', 'cancelled');
    await sim.setOrderStatus('meesho', id, 'S-gone', 'cancelled');
    expect(await quantities(id)).toEqual({ A: 14, B: 10 });
  });

  it('answers 404 for an unknown order or seller and 400 without a status', async () => {
    const { id } = await meeshoSeller({ orders: [order('O-1', at(0))] });
    await expect(sim.setOrderStatus('meesho', id, 'O-404', 'shipped')).rejects.toMatchObject({ status: 404 });
    await expect(sim.setOrderStatus('meesho', `nobody-${randomUUID()}`, 'O-1', 'shipped')).rejects.toMatchObject({
      status: 404,
    });
    await expect(sim.setOrderStatus('meesho', id, 'O-1', '')).rejects.toMatchObject({ status: 400 });
  });
});

describe('returns added now', () => {
  it('are read like seeded ones; the order must exist and a returnId is taken once', async () => {
    const { id, get } = await meeshoSeller({ orders: [order('O-1', at(0))] });
    const before = new Date().toISOString();
    const added = await sim.addReturn('meesho', id, { returnId: 'R-1', orderId: 'O-1', status: 'requested' });
    expect(added).toMatchObject({ returnId: 'R-1', orderId: 'O-1', status: 'requested' });
    expect(added.createdAt >= before && added.createdAt <= new Date().toISOString()).toBe(true);
    expect((await get(`/returns?since=${encodeURIComponent(before)}`)).body.items).toEqual([added]);
    await expect(
      sim.addReturn('meesho', id, { returnId: 'R-2', orderId: 'O-404', status: 'requested' }),
    ).rejects.toMatchObject({ status: 404, body: { error: 'no such order' } });
    await expect(
      sim.addReturn('meesho', id, { returnId: 'R-1', orderId: 'O-1', status: 'approved' }),
    ).rejects.toMatchObject({ status: 409 });
    expect(await quantities(id)).toEqual({ A: 10, B: 10 });
  });
});

describe("listings edited in the seller's portal", () => {
  it('setListing changes the fields given, outside the ledger; unknown listing 404, bad values 400', async () => {
    const { id, get } = await meeshoSeller();
    const edited = await sim.setListing('meesho', id, 'A', { quantity: 2, status: 'inactive' });
    expect(edited).toEqual({ sku: 'A', quantity: 2, pricePaise: 10_000, status: 'inactive' });
    await sim.setListing('meesho', id, 'B', { pricePaise: 5 });
    expect((await get('/listings')).body.items).toEqual([edited, { ...active('B', 10), pricePaise: 5 }]);
    expect(await sim.ledger({ sellerId: id })).toEqual([]);
    await expect(sim.setListing('meesho', id, 'Z', { quantity: 1 })).rejects.toMatchObject({ status: 404 });
    for (const bad of [{ quantity: -1 }, { quantity: 1.5 }, { status: 'gone' }, { colour: 'red' }, {}]) {
      await expect(sim.setListing('meesho', id, 'A', bad as never)).rejects.toMatchObject({ status: 400 });
    }
    expect((await get('/listings')).body.items[0]).toEqual(edited);
  });
});

describe('what a listings update applied, in the ledger', () => {
  it('a batch lists its successful SKUs with the fields written; refused, faulted and replayed calls none', async () => {
    const id = `orders-test-${randomUUID()}`;
    await sim.putSeller('ajio', id, {
      credentials: { accessToken: `access-${id}` },
      listings: [active('A', 10), active('B', 10), active('C', 10)],
    });
    const update = (items: unknown[], key: string) =>
      call(
        'POST',
        '/ajio/listings/update',
        { authorization: `Bearer access-${id}`, 'idempotency-key': key },
        { items },
      );
    await sim.addFault({ kind: 'fail-hard', sellerId: id, sku: 'C', times: 1 });
    const mixed = [
      { sku: 'A', quantity: 4, pricePaise: 900 },
      { sku: 'NOPE', quantity: 1 },
      { sku: 'B', status: 'inactive' },
      { sku: 'C', quantity: 1 },
      { sku: 'A', quantity: -1 },
    ];
    expect((await update(mixed, 'k-1')).status).toBe(200);
    await update(mixed, 'k-1'); // replayed: applies nothing
    await sim.addFault({ kind: 'error', sellerId: id, operation: 'listings-update', times: 1 });
    await update([{ sku: 'A', quantity: 7 }], 'k-2'); // faulted
    await update([{ sku: 'A', quantity: 7 }], 'k-2');
    const entries = await sim.ledger({ sellerId: id, operation: 'listings-update' });
    expect(entries.map((e) => [e.idempotencyKey, e.outcome, e.applied])).toEqual([
      [
        'k-1',
        'applied',
        [
          { sku: 'A', quantity: 4, pricePaise: 900 },
          { sku: 'B', status: 'inactive' },
        ],
      ],
      ['k-1', 'replayed', []],
      ['k-2', 'fault', []],
      ['k-2', 'applied', [{ sku: 'A', quantity: 7 }]],
    ]);
    for (const entry of entries) expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
  });

  it('an accepted Amazon PATCH lists its SKU and fields; an invalid one, a token grant and a lost answer as done', async () => {
    const id = `orders-test-${randomUUID()}`;
    await sim.putSeller('amazon', id, {
      credentials: { refreshToken: `refresh-${id}`, accessToken: `access-${id}` },
      listings: [active('A', 10)],
    });
    const patch = (key: string, patches: unknown[]) =>
      call(
        'PATCH',
        `/amazon/listings/2021-08-01/items/${id}/A`,
        { 'x-amz-access-token': `access-${id}`, 'idempotency-key': key },
        { patches },
      ).catch(() => ({ status: 0, body: undefined }));
    const replace = (path: string, value: unknown) => ({ op: 'replace', path, value });
    await patch('p-1', [replace('/attributes/quantity', 3), replace('/attributes/price', 1_500)]);
    await patch('p-2', [replace('/attributes/quantity', -3)]);
    await sim.addFault({ kind: 'lose-response', sellerId: id, times: 1 });
    await patch('p-3', [replace('/attributes/status', 'inactive')]);
    await call(
      'POST',
      '/amazon/auth/o2/token',
      { 'idempotency-key': 't-1' },
      {
        grant_type: 'refresh_token',
        refresh_token: `refresh-${id}`,
        client_id: 'cid',
        client_secret: 'secret',
      },
    );
    const entries = await sim.ledger({ sellerId: id });
    expect(entries.map((e) => [e.idempotencyKey, e.outcome, e.applied])).toEqual([
      ['p-1', 'applied', [{ sku: 'A', quantity: 3, pricePaise: 1_500 }]],
      ['p-2', 'rejected', []],
      ['p-3', 'applied', [{ sku: 'A', status: 'inactive' }]],
      ['t-1', 'applied', []],
    ]);
  });
});
