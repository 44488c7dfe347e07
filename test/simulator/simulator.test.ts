/**
 * The marketplace simulator, driven as the real clients and other tests will: plain HTTP for the
 * marketplace APIs, `SimulatorControl` for seeding, faults and the ledger. It runs in this process,
 * from this checkout's code (the stack's simulator process may run an older build); every test
 * still uses sellers of its own.
 */
import { randomUUID } from 'node:crypto';
import {
  type SimCredentials,
  type SimListing,
  type SimMarketplace,
  type SimSellerSeed,
  SimulatorControl,
} from '../../simulator/src/control';
import { type RunningSimulator, startSimulator } from '../../simulator/src/server';

let simulator: RunningSimulator;
let sim: SimulatorControl;
let BASE: string;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  BASE = simulator.url;
  sim = new SimulatorControl(BASE);
});
afterAll(() => simulator.close());

// Bodies are whatever JSON the simulator answered; the assertions say what they must be.
type Json = any;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Json;
}

async function send(
  method: string,
  path: string,
  { headers = {}, json, raw }: { headers?: Record<string, string>; json?: unknown; raw?: string } = {},
): Promise<Reply> {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: json === undefined ? raw : JSON.stringify(json),
  });
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

const listing = (sku: string, quantity = 10, pricePaise = 10_000): SimListing => ({
  sku,
  quantity,
  pricePaise,
  status: 'active',
});

/** Each marketplace's credentials for a new seller, and how a data call presents them. */
const AUTH: Record<
  SimMarketplace,
  { credentials(id: string): SimCredentials; headers(id: string): Record<string, string> }
> = {
  ajio: {
    credentials: (id) => ({ refreshToken: `refresh-${id}`, accessToken: `access-${id}` }),
    headers: (id) => ({ authorization: `Bearer access-${id}` }),
  },
  amazon: {
    credentials: (id) => ({ refreshToken: `refresh-${id}`, accessToken: `access-${id}` }),
    headers: (id) => ({ 'x-amz-access-token': `access-${id}` }),
  },
  flipkart: {
    credentials: (id) => ({ clientId: `client-${id}`, clientSecret: `secret-${id}`, accessToken: `access-${id}` }),
    headers: (id) => ({ authorization: `Bearer access-${id}` }),
  },
  meesho: {
    credentials: (id) => ({ apiKey: `key-${id}` }),
    headers: (id) => ({ 'x-api-key': `key-${id}` }),
  },
};

const UPDATE_PATH = {
  ajio: '/ajio/listings/update',
  flipkart: '/flipkart/listings/v3/update',
  meesho: '/meesho/listings/update',
};
type BatchMarketplace = keyof typeof UPDATE_PATH;

/** A new seller with listings A, B, C; `auth` is what its data calls send. */
async function seller(marketplace: SimMarketplace, seed: Partial<SimSellerSeed> = {}) {
  const id = `sim-test-${randomUUID()}`;
  await sim.putSeller(marketplace, id, {
    credentials: AUTH[marketplace].credentials(id),
    listings: [listing('A'), listing('B'), listing('C')],
    ...seed,
  });
  return { id, auth: AUTH[marketplace].headers(id) };
}

const quantities = async (marketplace: SimMarketplace, id: string) =>
  Object.fromEntries((await sim.seller(marketplace, id)).listings.map((l) => [l.sku, l.quantity]));

const ajioToken = (refreshToken: string, key?: string) =>
  send('POST', '/ajio/auth/token', {
    json: { grant_type: 'refresh_token', refresh_token: refreshToken },
    headers: key ? { 'idempotency-key': key } : {},
  });

const batchUpdate = (marketplace: BatchMarketplace, auth: Record<string, string>, items: unknown[], key?: string) =>
  send('POST', UPDATE_PATH[marketplace], {
    json: { items },
    headers: { ...auth, ...(key ? { 'idempotency-key': key } : {}) },
  });

const amazonItem = (id: string, sku: string) => `/amazon/listings/2021-08-01/items/${id}/${sku}`;
const quantityPatch = (value: unknown) => ({ patches: [{ op: 'replace', path: '/attributes/quantity', value }] });

describe('the simulator control API', () => {
  it('answers its health check and 404s unknown routes with JSON', async () => {
    expect(await send('GET', '/_sim/health')).toMatchObject({ status: 200, body: { ok: true } });
    expect(await send('GET', '/ajio/nowhere')).toMatchObject({ status: 404, body: { error: 'no such route' } });
    expect(await send('GET', '/ebay/orders')).toMatchObject({ status: 404 });
  });

  it('needs a URL to talk to', () => {
    expect(() => new SimulatorControl('')).toThrow(/SIMULATOR_URL/);
  });

  it('refuses a malformed seed or fault rule with 400', async () => {
    const bad = await send('PUT', `/_sim/sellers/ajio/${randomUUID()}`, {
      json: { credentials: {}, listings: [{ sku: 'A', quantity: 1.5, pricePaise: 1, status: 'active' }] },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: 'listings[0].quantity is missing or invalid' } });
    await expect(sim.addFault({ kind: 'explode' as never })).rejects.toThrow(/400/);
    expect(await send('GET', `/_sim/sellers/ajio/${randomUUID()}`)).toMatchObject({ status: 404 });
  });
});

describe('authentication', () => {
  it('AJIO rotates the refresh token; access tokens already issued keep working', async () => {
    const { id } = await seller('ajio');
    const first = await ajioToken(`refresh-${id}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ expires_in: 21_600 });
    expect(first.body.access_token).toMatch(/^sim-ajio-/);
    expect(first.body.refresh_token).not.toBe(`refresh-${id}`);

    expect(await ajioToken(`refresh-${id}`)).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
    const second = await ajioToken(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(await ajioToken(first.body.refresh_token)).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });

    for (const token of [first.body.access_token, second.body.access_token, `access-${id}`]) {
      const profile = await send('GET', '/ajio/seller/profile', { headers: { authorization: `Bearer ${token}` } });
      expect(profile).toMatchObject({ status: 200, body: { sellerId: id } });
    }
    expect(await sim.seller('ajio', id)).toMatchObject({ refreshTokenValid: true, accessTokens: 3 });
  });

  it('Amazon (LWA) wants a client id and secret, and its refresh token does not rotate', async () => {
    const { id } = await seller('amazon');
    const grant = { grant_type: 'refresh_token', refresh_token: `refresh-${id}`, client_id: 'c', client_secret: 's' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await send('POST', '/amazon/auth/o2/token', { json: grant });
      expect(token).toMatchObject({ status: 200, body: { expires_in: 3600 } });
      expect(token.body.refresh_token).toBeUndefined();
      const profile = await send('GET', '/amazon/seller/profile', {
        headers: { 'x-amz-access-token': token.body.access_token },
      });
      expect(profile).toMatchObject({ status: 200, body: { sellerId: id } });
    }
    const noSecret = await send('POST', '/amazon/auth/o2/token', { json: { ...grant, client_secret: '' } });
    expect(noSecret.status).toBe(400);
    const unknown = await send('POST', '/amazon/auth/o2/token', { json: { ...grant, refresh_token: 'nope' } });
    expect(unknown).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
  });

  it('Flipkart authenticates the client with Basic credentials', async () => {
    const { id } = await seller('flipkart');
    const basic = (secret: string) => ({
      authorization: `Basic ${Buffer.from(`client-${id}:${secret}`).toString('base64')}`,
    });
    const json = { grant_type: 'client_credentials' };
    const token = await send('POST', '/flipkart/oauth/token', { json, headers: basic(`secret-${id}`) });
    expect(token).toMatchObject({ status: 200, body: { expires_in: 3600 } });
    const profile = await send('GET', '/flipkart/seller/profile', {
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    expect(profile).toMatchObject({ status: 200, body: { sellerId: id } });
    const wrong = await send('POST', '/flipkart/oauth/token', { json, headers: basic('guess') });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
  });

  it('Meesho takes an API key and has no token endpoint', async () => {
    const { id, auth } = await seller('meesho');
    expect(await send('GET', '/meesho/seller/profile', { headers: auth })).toMatchObject({
      status: 200,
      body: { sellerId: id },
    });
    expect(await send('GET', '/meesho/seller/profile', { headers: { 'x-api-key': 'nope' } })).toMatchObject({
      status: 401,
      body: { error: 'invalid_token' },
    });
    expect((await send('POST', '/meesho/auth/token', { json: {} })).status).toBe(404);
  });

  it('an unknown, missing or expired access token gets 401 invalid_token', async () => {
    const id = `sim-test-${randomUUID()}`;
    await sim.putSeller('ajio', id, {
      credentials: { accessToken: `expired-${id}`, accessTokenExpiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    const attempts: Record<string, string>[] = [
      { authorization: `Bearer expired-${id}` },
      { authorization: 'Bearer nope' },
      {},
    ];
    for (const headers of attempts) {
      expect(await send('GET', '/ajio/orders', { headers })).toMatchObject({
        status: 401,
        body: { error: 'invalid_token' },
      });
    }
    expect(await sim.seller('ajio', id)).toMatchObject({ refreshTokenValid: false, accessTokens: 0 });
  });

  it('Amazon refuses a path naming another seller with 403', async () => {
    const mine = await seller('amazon');
    const other = await seller('amazon');
    expect((await send('GET', amazonItem(other.id, 'A'), { headers: mine.auth })).status).toBe(403);
  });
});

describe('reads', () => {
  const start = Date.parse('2025-01-01T00:00:00.000Z');
  const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();

  it('pages orders 50 at a time, oldest first, and `since` is inclusive', async () => {
    const orders = Array.from({ length: 120 }, (_, i) => ({
      orderId: `O-${String(i).padStart(3, '0')}`,
      status: 'created',
      totalPaise: 100 * i,
      orderedAt: at(i),
      lines: [{ sku: 'A', quantity: 1 }],
    }));
    const { auth } = await seller('meesho', { orders: [...orders].reverse() });
    const ids: string[] = [];
    const sizes: number[] = [];
    let pageToken: string | null = null;
    do {
      const query: string = pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : '';
      const page = await send('GET', `/meesho/orders${query}`, { headers: auth });
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((order: { orderId: string }) => order.orderId));
      sizes.push(page.body.items.length);
      pageToken = page.body.nextPageToken;
    } while (pageToken);
    expect(sizes).toEqual([50, 50, 20]);
    expect(ids).toEqual(orders.map((order) => order.orderId));

    const since = await send('GET', `/meesho/orders?since=${encodeURIComponent(at(100))}`, { headers: auth });
    expect(since.body.items).toHaveLength(20);
    // On the wire every order has updatedAt; a seed without it means its orderedAt.
    expect(since.body.items[0]).toEqual({ ...orders[100], updatedAt: orders[100]!.orderedAt });
    expect(since.body.nextPageToken).toBeNull();
    expect((await send('GET', '/meesho/orders?pageToken=garbage', { headers: auth })).status).toBe(400);
    expect((await send('GET', '/meesho/orders?since=yesterday', { headers: auth })).status).toBe(400);
  });

  it('serves returns, payouts and documents with their content', async () => {
    const content = Buffer.from('%PDF-1.7 invoice');
    const { auth } = await seller('flipkart', {
      returns: [{ returnId: 'R1', orderId: 'O1', status: 'requested', createdAt: at(5) }],
      payouts: [
        { payoutId: 'P1', orderId: 'O1', amountPaise: 900, paidAt: at(1) },
        { payoutId: 'P2', orderId: 'O2', amountPaise: 800, paidAt: at(9) },
      ],
      documents: [{ documentId: 'D1', kind: 'invoice', createdAt: at(2), content: content.toString('base64') }],
    });
    expect((await send('GET', '/flipkart/returns', { headers: auth })).body.items).toEqual([
      { returnId: 'R1', orderId: 'O1', status: 'requested', createdAt: at(5) },
    ]);
    const payouts = await send('GET', `/flipkart/payouts?since=${encodeURIComponent(at(2))}`, { headers: auth });
    expect(payouts.body).toEqual({ items: [expect.objectContaining({ payoutId: 'P2' })], nextPageToken: null });
    expect((await send('GET', '/flipkart/documents', { headers: auth })).body.items).toEqual([
      { documentId: 'D1', kind: 'invoice', createdAt: at(2), sizeBytes: content.length },
    ]);
    const bytes = await fetch(`${BASE}/flipkart/documents/D1/content`, { headers: auth });
    expect(bytes.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await bytes.arrayBuffer())).toEqual(content);
    expect((await send('GET', '/flipkart/documents/D9/content', { headers: auth })).status).toBe(404);
  });
});

describe('listings', () => {
  it('a batch update answers per SKU and applies only the SKUs that pass', async () => {
    const { id, auth } = await seller('ajio');
    const reply = await batchUpdate('ajio', auth, [
      { sku: 'A', quantity: 4, pricePaise: 12_345 },
      { sku: 'Z', quantity: 1 },
      { sku: 'B', quantity: -1 },
      { sku: 'C', status: 'gone' },
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body.results).toEqual([
      { sku: 'A', status: 'SUCCESS' },
      { sku: 'Z', status: 'FAILURE', error: 'unknown sku' },
      { sku: 'B', status: 'FAILURE', error: 'quantity must be an integer >= 0' },
      { sku: 'C', status: 'FAILURE', error: 'status must be active or inactive' },
    ]);
    const read = await send('GET', '/ajio/listings?skus=A,B,Z', { headers: auth });
    expect(read.body.items).toEqual([{ sku: 'A', quantity: 4, pricePaise: 12_345, status: 'active' }, listing('B')]);
    expect(await quantities('ajio', id)).toEqual({ A: 4, B: 10, C: 10 });
  });

  it.each([
    ['ajio', 50],
    ['meesho', 50],
    ['flipkart', 10],
  ] as const)('%s takes at most %i SKUs per update', async (marketplace, limit) => {
    const skus = Array.from({ length: limit + 1 }, (_, i) => `S${i}`);
    const { auth } = await seller(marketplace, { listings: skus.map((sku) => listing(sku)) });
    const items = skus.map((sku) => ({ sku, quantity: 1 }));
    expect(await batchUpdate(marketplace, auth, items)).toMatchObject({
      status: 400,
      body: { error: 'too many items' },
    });
    const atLimit = await batchUpdate(marketplace, auth, items.slice(0, limit));
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.results).toHaveLength(limit);
  });

  it('a body that is not JSON or not a batch is rejected with 400', async () => {
    const { id, auth } = await seller('meesho');
    const notJson = await send('POST', '/meesho/listings/update', {
      raw: '{"items":',
      headers: { ...auth, 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect((await send('POST', '/meesho/listings/update', { json: { sku: 'A' }, headers: auth })).status).toBe(400);
    expect((await sim.ledger({ sellerId: id })).map((entry) => [entry.outcome, entry.status])).toEqual([
      ['rejected', 400],
      ['rejected', 400],
    ]);
  });

  it('Amazon reads and patches one SKU', async () => {
    const { id, auth } = await seller('amazon');
    const patch = (sku: string, body: unknown) => send('PATCH', amazonItem(id, sku), { json: body, headers: auth });
    expect(await patch('A', quantityPatch(7))).toMatchObject({ status: 200, body: { sku: 'A', status: 'ACCEPTED' } });
    const price = { patches: [{ op: 'replace', path: '/attributes/price', value: 999 }] };
    expect((await patch('B', price)).status).toBe(200);
    expect(await send('GET', amazonItem(id, 'A'), { headers: auth })).toMatchObject({
      status: 200,
      body: { sku: 'A', quantity: 7, pricePaise: 10_000, status: 'active' },
    });
    expect((await send('GET', amazonItem(id, 'B'), { headers: auth })).body.pricePaise).toBe(999);
    expect(await patch('Z', quantityPatch(1))).toMatchObject({
      status: 400,
      body: { sku: 'Z', status: 'INVALID', issues: ['unknown sku'] },
    });
    expect(await patch('C', quantityPatch(2.5))).toMatchObject({ status: 400, body: { status: 'INVALID' } });
    expect((await send('GET', amazonItem(id, 'Z'), { headers: auth })).status).toBe(404);
    expect(await quantities('amazon', id)).toEqual({ A: 7, B: 10, C: 10 });
  });
});

describe('idempotency', () => {
  it('the same key answers as the first time and does not apply again', async () => {
    const { id, auth } = await seller('flipkart');
    const key = `key-${randomUUID()}`;
    const first = await batchUpdate('flipkart', auth, [{ sku: 'A', quantity: 7 }], key);
    await batchUpdate('flipkart', auth, [{ sku: 'A', quantity: 3 }], `key-${randomUUID()}`);
    const again = await batchUpdate('flipkart', auth, [{ sku: 'A', quantity: 7 }], key);
    expect(again.status).toBe(first.status);
    expect(again.text).toBe(first.text);
    expect(await quantities('flipkart', id)).toMatchObject({ A: 3 });
    expect((await sim.ledger({ idempotencyKey: key })).map((entry) => entry.outcome)).toEqual(['applied', 'replayed']);
  });

  it('keys are per marketplace', async () => {
    const ajio = await seller('ajio');
    const meesho = await seller('meesho');
    const key = `key-${randomUUID()}`;
    await batchUpdate('ajio', ajio.auth, [{ sku: 'A', quantity: 1 }], key);
    await batchUpdate('meesho', meesho.auth, [{ sku: 'A', quantity: 2 }], key);
    expect(await quantities('meesho', meesho.id)).toMatchObject({ A: 2 });
  });

  it('a retried AJIO token request whose answer was lost gets the same tokens', async () => {
    const { id } = await seller('ajio');
    const key = `key-${randomUUID()}`;
    await sim.addFault({ kind: 'lose-response', sellerId: id, operation: 'token', times: 1 });
    await expect(ajioToken(`refresh-${id}`, key)).rejects.toThrow();
    const retry = await ajioToken(`refresh-${id}`, key);
    expect(retry.status).toBe(200);
    expect(await ajioToken(retry.body.refresh_token)).toMatchObject({ status: 200 });
    expect((await sim.ledger({ idempotencyKey: key })).map((entry) => entry.outcome)).toEqual(['applied', 'replayed']);
  });
});

describe('faults', () => {
  it('latency delays the answer, then the request proceeds', async () => {
    const { id, auth } = await seller('meesho');
    await sim.addFault({ kind: 'latency', sellerId: id, ms: 400 });
    const started = Date.now();
    expect((await send('GET', '/meesho/seller/profile', { headers: auth })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    await sim.clearFaults(id);
  });

  it('error answers its status and applies nothing; a retry with the same key then applies', async () => {
    const { id, auth } = await seller('ajio');
    await sim.addFault({ kind: 'error', sellerId: id, status: 502, times: 1 });
    const key = `key-${randomUUID()}`;
    const items = [{ sku: 'A', quantity: 1 }];
    expect(await batchUpdate('ajio', auth, items, key)).toMatchObject({ status: 502, body: { error: 'injected' } });
    expect(await quantities('ajio', id)).toMatchObject({ A: 10 });
    expect((await batchUpdate('ajio', auth, items, key)).status).toBe(200);
    expect(await quantities('ajio', id)).toMatchObject({ A: 1 });
    expect((await sim.ledger({ idempotencyKey: key })).map((e) => [e.outcome, e.status])).toEqual([
      ['fault', 502],
      ['applied', 200],
    ]);
  });

  it('error defaults to 503', async () => {
    const { id, auth } = await seller('amazon');
    await sim.addFault({ kind: 'error', sellerId: id, times: 1 });
    expect((await send('GET', '/amazon/orders', { headers: auth })).status).toBe(503);
  });

  it('rate-limit answers 429 with Retry-After', async () => {
    const { id, auth } = await seller('flipkart');
    await sim.addFault({ kind: 'rate-limit', sellerId: id, retryAfterSeconds: 7, times: 1 });
    const reply = await send('GET', '/flipkart/orders', { headers: auth });
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('7');
    await sim.addFault({ kind: 'rate-limit', sellerId: id, times: 1 });
    expect((await send('GET', '/flipkart/orders', { headers: auth })).headers.get('retry-after')).toBe('1');
  });

  it('redirect answers its 3xx (307 unless given) with the Location given, and applies nothing', async () => {
    const { id, auth } = await seller('meesho');
    const elsewhere = 'https://elsewhere.example/collect';
    await sim.addFault({ kind: 'redirect', sellerId: id, operation: 'profile', location: elsewhere, times: 1 });
    await sim.addFault({ kind: 'redirect', sellerId: id, operation: 'listings-update', location: '/x', status: 308 });
    const profile = () => fetch(`${BASE}/meesho/seller/profile`, { headers: auth, redirect: 'manual' });

    const moved = await profile();
    expect([moved.status, moved.headers.get('location')]).toEqual([307, elsewhere]);
    expect((await profile()).status).toBe(200);
    const update = await fetch(`${BASE}/meesho/listings/update`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': `key-${randomUUID()}` },
      body: JSON.stringify({ items: [{ sku: 'A', quantity: 1 }] }),
      redirect: 'manual',
    });
    expect([update.status, update.headers.get('location')]).toEqual([308, '/x']);
    expect(await quantities('meesho', id)).toMatchObject({ A: 10 });
    await expect(sim.addFault({ kind: 'redirect' })).rejects.toThrow(/location/);
    await expect(sim.addFault({ kind: 'redirect', location: '/x', status: 200 })).rejects.toThrow(/3xx/);
    await sim.clearFaults(id);
  });

  it('a rate limit sends its rate header and refuses what is over it with a 429 naming the bucket', async () => {
    const { id, auth } = await seller('amazon');
    const other = await seller('amazon');
    // One request per 100 s: the second is over it however slow this machine is.
    const limit = await sim.addRateLimit({ sellerId: id, operation: 'orders', rate: 0.01 });
    const first = await send('GET', '/amazon/orders', { headers: auth });
    expect([first.status, first.headers.get('x-amzn-ratelimit-limit')]).toEqual([200, '0.01']);
    const over = await send('GET', '/amazon/orders', { headers: auth });
    expect(over.status).toBe(429);
    expect(over.headers.get('x-amzn-ratelimit-limit')).toBe('0.01');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(100);
    expect(over.body).toEqual({
      error: 'rate limited',
      bucket: { operation: 'orders', sellerId: id, application: 'sim-application' },
      rate: 0.01,
    });
    // Another operation and another seller are other buckets.
    expect((await send('GET', '/amazon/returns', { headers: auth })).headers.get('x-amzn-ratelimit-limit')).toBeNull();
    expect((await send('GET', '/amazon/orders', { headers: other.auth })).status).toBe(200);
    await sim.removeRateLimit(limit);
    const after = await send('GET', '/amazon/orders', { headers: auth });
    expect([after.status, after.headers.get('x-amzn-ratelimit-limit')]).toEqual([200, null]);
    await sim.addRateLimit({ sellerId: id, operation: 'payouts', rate: 0.01, header: false });
    const quiet = await send('GET', '/amazon/payouts', { headers: auth });
    expect([quiet.status, quiet.headers.get('x-amzn-ratelimit-limit')]).toEqual([200, null]);
    expect((await send('GET', '/amazon/payouts', { headers: auth })).status).toBe(429);
    await expect(sim.addRateLimit({ sellerId: id, rate: 0 })).rejects.toMatchObject({ status: 400 });
  });

  it('token-expired and revoked answer 401 invalid_token and invalid_grant', async () => {
    const { id, auth } = await seller('ajio');
    await sim.addFault({ kind: 'token-expired', sellerId: id, operation: 'orders', times: 1 });
    await sim.addFault({ kind: 'revoked', sellerId: id, operation: 'token', times: 1 });
    expect(await send('GET', '/ajio/orders', { headers: auth })).toMatchObject({
      status: 401,
      body: { error: 'invalid_token' },
    });
    expect(await ajioToken(`refresh-${id}`)).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
    expect((await ajioToken(`refresh-${id}`)).status).toBe(200);
  });

  it('fail-hard with a sku fails that SKU of a batch and applies the others', async () => {
    const { id, auth } = await seller('meesho');
    await sim.addFault({ kind: 'fail-hard', sellerId: id, sku: 'B' });
    const reply = await batchUpdate('meesho', auth, [
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 2 },
    ]);
    expect(reply.body.results).toEqual([
      { sku: 'A', status: 'SUCCESS' },
      { sku: 'B', status: 'FAILURE', error: 'validation failed (injected)' },
    ]);
    expect(await quantities('meesho', id)).toEqual({ A: 1, B: 10, C: 10 });
    // A batch without B is untouched by the rule.
    expect((await batchUpdate('meesho', auth, [{ sku: 'C', quantity: 3 }])).body.results[0].status).toBe('SUCCESS');
    await sim.clearFaults(id);
  });

  it('a SKU refusal stays for the retry when another fault answers the request first', async () => {
    const { id, auth } = await seller('meesho');
    await sim.addFault({ kind: 'fail-hard', sellerId: id, sku: 'B', times: 1 });
    const unavailable = await sim.addFault({ kind: 'error', status: 503, sellerId: id, times: 1 });
    const first = await batchUpdate('meesho', auth, [{ sku: 'B', quantity: 2 }]);
    expect(first.status).toBe(503);
    await sim.removeFault(unavailable);
    // The marketplace never saw the first request: its refusal comes with the retry, once.
    expect((await batchUpdate('meesho', auth, [{ sku: 'B', quantity: 2 }])).body.results).toEqual([
      { sku: 'B', status: 'FAILURE', error: 'validation failed (injected)' },
    ]);
    expect((await batchUpdate('meesho', auth, [{ sku: 'B', quantity: 3 }])).body.results[0].status).toBe('SUCCESS');
    expect(await quantities('meesho', id)).toMatchObject({ B: 3 });
    await sim.clearFaults(id);
  });

  it('fail-hard on Amazon answers 400 INVALID for that SKU', async () => {
    const { id, auth } = await seller('amazon');
    await sim.addFault({ kind: 'fail-hard', sellerId: id, sku: 'A' });
    expect(await send('PATCH', amazonItem(id, 'A'), { json: quantityPatch(1), headers: auth })).toMatchObject({
      status: 400,
      body: { sku: 'A', status: 'INVALID' },
    });
    expect((await send('PATCH', amazonItem(id, 'B'), { json: quantityPatch(1), headers: auth })).status).toBe(200);
    expect(await quantities('amazon', id)).toEqual({ A: 10, B: 1, C: 10 });
    await sim.clearFaults(id);
  });

  it('fail-hard without a sku fails the whole request with 400', async () => {
    const { id, auth } = await seller('ajio');
    await sim.addFault({ kind: 'fail-hard', sellerId: id, times: 2 });
    expect(await batchUpdate('ajio', auth, [{ sku: 'A', quantity: 1 }])).toMatchObject({
      status: 400,
      body: { error: 'validation failed (injected)' },
    });
    expect((await send('GET', '/ajio/orders', { headers: auth })).status).toBe(400);
    expect(await quantities('ajio', id)).toMatchObject({ A: 10 });
  });

  it('lose-response applies the mutation and drops the connection; the retry is replayed', async () => {
    const { id, auth } = await seller('flipkart');
    await sim.addFault({ kind: 'lose-response', sellerId: id, operation: 'listings-update', times: 1 });
    const key = `key-${randomUUID()}`;
    await expect(batchUpdate('flipkart', auth, [{ sku: 'A', quantity: 2 }], key)).rejects.toThrow();
    expect(await quantities('flipkart', id)).toMatchObject({ A: 2 });
    const retry = await batchUpdate('flipkart', auth, [{ sku: 'A', quantity: 2 }], key);
    expect(retry).toMatchObject({ status: 200, body: { results: [{ sku: 'A', status: 'SUCCESS' }] } });
    expect((await sim.ledger({ idempotencyKey: key })).map((e) => e.outcome)).toEqual(['applied', 'replayed']);
  });

  it('malformed answers 200 with a body that is not the expected JSON', async () => {
    const { id, auth } = await seller('meesho');
    await sim.addFault({ kind: 'malformed', sellerId: id, operation: 'orders', times: 1 });
    await sim.addFault({
      kind: 'malformed',
      sellerId: id,
      operation: 'orders',
      times: 1,
      body: '<html>gateway</html>',
      contentType: 'text/html',
    });
    const truncated = await send('GET', '/meesho/orders', { headers: auth });
    expect(truncated.status).toBe(200);
    expect(truncated.headers.get('content-type')).toBe('application/json');
    expect(() => JSON.parse(truncated.text)).toThrow();
    const html = await send('GET', '/meesho/orders', { headers: auth });
    expect(html).toMatchObject({ status: 200, text: '<html>gateway</html>' });
    expect(html.headers.get('content-type')).toBe('text/html');
    expect((await send('GET', '/meesho/orders', { headers: auth })).body).toEqual({ items: [], nextPageToken: null });
  });

  it('truncate announces the whole answer, sends half of it and drops the connection; a mutation applies', async () => {
    // In this process: the test checks this checkout's simulator, whichever one the stack runs.
    const own = await startSimulator({ port: 0 });
    try {
      const control = new SimulatorControl(own.url);
      const id = `sim-test-${randomUUID()}`;
      const content = Buffer.alloc(1_000, 7);
      const document = { documentId: 'D1', kind: 'invoice', createdAt: new Date().toISOString() };
      await control.putSeller('meesho', id, {
        credentials: AUTH.meesho.credentials(id),
        listings: [listing('A')],
        documents: [{ ...document, content: content.toString('base64') }],
      });
      for (const operation of ['document-content', 'listings-update'] as const) {
        await control.addFault({ kind: 'truncate', sellerId: id, operation, times: 1 });
      }
      const headers = AUTH.meesho.headers(id);
      const download = () => fetch(`${own.url}/meesho/documents/D1/content`, { headers });

      const cut = await download();
      expect([cut.status, cut.headers.get('content-length')]).toEqual([200, '1000']);
      await expect(cut.arrayBuffer()).rejects.toThrow('terminated');
      expect(Buffer.from(await (await download()).arrayBuffer())).toEqual(content);

      const key = `key-${randomUUID()}`;
      const update = await fetch(`${own.url}${UPDATE_PATH.meesho}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ items: [{ sku: 'A', quantity: 3 }] }),
      });
      expect(update.status).toBe(200);
      await expect(update.text()).rejects.toThrow('terminated');
      expect((await control.seller('meesho', id)).listings[0]?.quantity).toBe(3);
      expect((await control.ledger({ idempotencyKey: key })).map((e) => e.outcome)).toEqual(['applied']);
    } finally {
      await own.close();
    }
  });

  it('times counts the requests a rule fires on, then the rule is gone', async () => {
    const { id, auth } = await seller('ajio');
    await sim.addFault({ kind: 'error', sellerId: id, operation: 'profile', times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send('GET', '/ajio/seller/profile', { headers: auth })).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('probability makes a rule fire at random', async () => {
    const { id, auth } = await seller('meesho');
    const never = await sim.addFault({ kind: 'error', sellerId: id, probability: 0 });
    expect((await send('GET', '/meesho/seller/profile', { headers: auth })).status).toBe(200);
    await sim.removeFault(never);
    await sim.addFault({ kind: 'error', sellerId: id, probability: 0.5 });
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => send('GET', '/meesho/seller/profile', { headers: auth })),
    );
    const failed = replies.filter((reply) => reply.status === 503).length;
    // Binomial(200, 0.5): outside 50..150 happens about once in 10^12 runs.
    expect(failed).toBeGreaterThan(50);
    expect(failed).toBeLessThan(150);
    await sim.clearFaults(id);
  });

  it('selectors scope a rule to a marketplace, seller, operation and sku', async () => {
    const mine = await seller('ajio');
    const other = await seller('ajio');
    const meesho = await seller('meesho');
    await sim.addFault({ kind: 'error', marketplace: 'ajio', sellerId: mine.id, operation: 'orders' });
    expect((await send('GET', '/ajio/orders', { headers: mine.auth })).status).toBe(503);
    expect((await send('GET', '/ajio/returns', { headers: mine.auth })).status).toBe(200);
    expect((await send('GET', '/ajio/orders', { headers: other.auth })).status).toBe(200);
    await sim.addFault({ kind: 'error', marketplace: 'ajio', sellerId: meesho.id });
    expect((await send('GET', '/meesho/orders', { headers: meesho.auth })).status).toBe(200);
    await sim.addFault({ kind: 'error', sellerId: other.id, sku: 'C' });
    expect((await send('GET', '/ajio/listings?skus=A', { headers: other.auth })).status).toBe(200);
    expect((await send('GET', '/ajio/listings?skus=A,C', { headers: other.auth })).status).toBe(503);
    await Promise.all([sim.clearFaults(mine.id), sim.clearFaults(other.id), sim.clearFaults(meesho.id)]);
  });

  it('keyContains scopes a rule to mutations whose Idempotency-Key contains it', async () => {
    const { id, auth } = await seller('ajio');
    await sim.addFault({ kind: 'fail-hard', sellerId: id, sku: 'A', keyContains: ':undo' });
    const items = [{ sku: 'A', quantity: 1 }];
    const resultOf = async (key?: string) => (await batchUpdate('ajio', auth, items, key)).body.results[0].status;
    expect(await resultOf(`msg-${randomUUID()}:push`)).toBe('SUCCESS');
    expect(await resultOf(`msg-${randomUUID()}:undo`)).toBe('FAILURE');
    expect(await resultOf()).toBe('SUCCESS');
    await sim.clearFaults(id);
  });

  it("DELETE /_sim/faults?sellerId= removes that seller's rules only; removeFault one rule", async () => {
    const a = await seller('meesho');
    const b = await seller('meesho');
    await sim.addFault({ kind: 'error', sellerId: a.id });
    const ruleOfB = await sim.addFault({ kind: 'error', sellerId: b.id });
    await sim.clearFaults(a.id);
    expect((await send('GET', '/meesho/orders', { headers: a.auth })).status).toBe(200);
    expect((await send('GET', '/meesho/orders', { headers: b.auth })).status).toBe(503);
    await sim.removeFault(ruleOfB);
    await sim.removeFault(ruleOfB); // already gone: not an error
    expect((await send('GET', '/meesho/orders', { headers: b.auth })).status).toBe(200);
  });
});

describe('the ledger', () => {
  it('records every mutation, oldest first, and no reads; its filters combine', async () => {
    const { id, auth } = await seller('ajio');
    const updateKey = `key-${randomUUID()}`;
    await send('GET', '/ajio/orders', { headers: auth });
    const token = await ajioToken(`refresh-${id}`, `key-${randomUUID()}`);
    await batchUpdate(
      'ajio',
      { authorization: `Bearer ${token.body.access_token}` },
      [{ sku: 'A', quantity: 1 }],
      updateKey,
    );
    await send('POST', '/ajio/listings/update', {
      json: { items: [{ sku: 'A', quantity: 2 }] },
      headers: { authorization: 'Bearer nope' },
    });

    const all = await sim.ledger({ sellerId: id });
    expect(all.map((e) => [e.operation, e.outcome, e.status])).toEqual([
      ['token', 'applied', 200],
      ['listings-update', 'applied', 200],
    ]);
    expect(all[0]!.seq).toBeLessThan(all[1]!.seq);
    expect(all[1]).toMatchObject({
      marketplace: 'ajio',
      idempotencyKey: updateKey,
      request: { items: [{ sku: 'A', quantity: 1 }] },
    });
    expect(await sim.ledger({ sellerId: id, operation: 'token' })).toEqual([all[0]]);
    expect(await sim.ledger({ sellerId: id, marketplace: 'meesho' })).toEqual([]);
    expect(await sim.ledger({ sellerId: id, idempotencyKey: updateKey })).toEqual([all[1]]);
    // The call with an unknown token is in the ledger too, under no seller.
    const anonymous = await sim.ledger({ marketplace: 'ajio', sellerId: '' });
    expect(anonymous.some((e) => e.outcome === 'rejected' && e.status === 401)).toBe(true);
  });

  it('never holds a secret', async () => {
    const ajio = await seller('ajio');
    const amazon = await seller('amazon');
    const flipkart = await seller('flipkart');
    const issued = await ajioToken(`refresh-${ajio.id}`);
    const lwa = await send('POST', '/amazon/auth/o2/token', {
      json: {
        grant_type: 'refresh_token',
        refresh_token: `refresh-${amazon.id}`,
        client_id: 'cid',
        client_secret: 'lwa-secret-value',
      },
    });
    const basic = Buffer.from(`client-${flipkart.id}:secret-${flipkart.id}`).toString('base64');
    const fk = await send('POST', '/flipkart/oauth/token', {
      json: { grant_type: 'client_credentials' },
      headers: { authorization: `Basic ${basic}` },
    });
    const ledger = JSON.stringify([
      ...(await sim.ledger({ sellerId: ajio.id })),
      ...(await sim.ledger({ sellerId: amazon.id })),
      ...(await sim.ledger({ sellerId: flipkart.id })),
    ]);
    expect(ledger).toContain('[redacted]');
    for (const secret of [
      `refresh-${ajio.id}`,
      issued.body.refresh_token,
      issued.body.access_token,
      `refresh-${amazon.id}`,
      'lwa-secret-value',
      lwa.body.access_token,
      `secret-${flipkart.id}`,
      basic,
      fk.body.access_token,
    ]) {
      expect(ledger).not.toContain(secret);
    }
    // Nor does the seller view.
    expect(JSON.stringify(await sim.seller('ajio', ajio.id))).not.toContain(issued.body.refresh_token);
  });
});
