/**
 * The marketplace simulator's public types and a typed client for its control API (`/_sim`).
 * Tests and local development use it to seed sellers, inject faults and read the ledger of
 * mutations; production code never imports this file.
 */

export const SIM_MARKETPLACES = ['ajio', 'amazon', 'flipkart', 'meesho'] as const;
export type SimMarketplace = (typeof SIM_MARKETPLACES)[number];

export const SIM_OPERATIONS = [
  'token',
  'profile',
  'orders',
  'returns',
  'payouts',
  'documents',
  'document-content',
  'listings-read',
  'listings-update',
] as const;
export type SimOperation = (typeof SIM_OPERATIONS)[number];

export const SIM_FAULT_KINDS = [
  'latency',
  'error',
  'rate-limit',
  'token-expired',
  'revoked',
  'fail-hard',
  'lose-response',
  'malformed',
  'truncate',
  'trickle',
  'stall',
  'redirect',
] as const;
export type SimFaultKind = (typeof SIM_FAULT_KINDS)[number];

export interface SimListing {
  sku: string;
  quantity: number;
  pricePaise: number;
  status: 'active' | 'inactive';
}
export interface SimOrderLine {
  sku: string;
  quantity: number;
}
export interface SimOrder {
  orderId: string;
  status: string;
  totalPaise: number;
  orderedAt: string;
  /** When the order last changed; a seed that omits it means `orderedAt`. */
  updatedAt?: string;
  lines: SimOrderLine[];
}
/** An order as the marketplace API answers it: `updatedAt` is always there. */
export type SimWireOrder = SimOrder & { updatedAt: string };
/** An order a test places now (`placeOrder`): `status` defaults to "created", `totalPaise` to 0. */
export interface SimNewOrder {
  orderId: string;
  lines: SimOrderLine[];
  totalPaise?: number;
  status?: string;
}
export interface SimReturn {
  returnId: string;
  orderId: string;
  status: string;
  createdAt: string;
}
export interface SimPayout {
  payoutId: string;
  orderId: string;
  amountPaise: number;
  paidAt: string;
}
export interface SimDocument {
  documentId: string;
  kind: string;
  createdAt: string;
  /** base64 */
  content: string;
}
export interface SimCredentials {
  refreshToken?: string;
  accessToken?: string;
  accessTokenExpiresAt?: string;
  clientId?: string;
  clientSecret?: string;
  apiKey?: string;
}
export interface SimSellerSeed {
  credentials: SimCredentials;
  listings?: SimListing[];
  orders?: SimOrder[];
  returns?: SimReturn[];
  payouts?: SimPayout[];
  documents?: SimDocument[];
}
export interface SimFault {
  kind: SimFaultKind;
  marketplace?: SimMarketplace;
  sellerId?: string;
  operation?: SimOperation;
  sku?: string;
  /** Matches only requests whose Idempotency-Key contains this text (e.g. one step's `:undo`). */
  keyContains?: string;
  times?: number;
  probability?: number;
  ms?: number;
  status?: number;
  retryAfterSeconds?: number;
  body?: string;
  contentType?: string;
  /** Where a `redirect` points (its `Location`), e.g. another origin that should never see a credential. */
  location?: string;
}
/**
 * A marketplace rate limit on a bucket (operation × seller): answers carry `x-amzn-RateLimit-Limit:
 * <rate>`, and a request over `rate` a second gets 429 naming its bucket. Unset selectors match all.
 */
export interface SimRateLimit {
  marketplace?: SimMarketplace;
  sellerId?: string;
  operation?: SimOperation;
  /** Requests per second (0.01 to 10000). */
  rate: number;
  /** Whether answers carry `x-amzn-RateLimit-Limit` (default true; AJIO, Flipkart and Meesho send none). */
  header?: boolean;
}
/** One SKU's change: only the fields being changed. */
export interface SimListingChange {
  sku: string;
  quantity?: number;
  pricePaise?: number;
  status?: SimListing['status'];
}
export interface SimLedgerEntry {
  seq: number;
  at: string;
  marketplace: SimMarketplace;
  sellerId: string;
  operation: SimOperation;
  idempotencyKey: string | null;
  request: unknown;
  outcome: 'applied' | 'replayed' | 'rejected' | 'fault';
  status: number;
  /**
   * The listing changes this call applied, per SKU, in request order: a batch's successful SKUs, an
   * accepted Amazon PATCH. Empty when it applied none (refused, faulted, replayed, not a listing update).
   */
  applied: SimListingChange[];
}
/** A read (any call that is not a mutation): what was asked and how it was answered. */
export interface SimReadEntry {
  seq: number;
  at: string;
  marketplace: SimMarketplace;
  sellerId: string;
  operation: SimOperation;
  /** The path after the marketplace, query string included (a paged read's `pageToken` is in it). */
  path: string;
  status: number;
  outcome: 'served' | 'rejected' | 'fault';
}
export interface SimSellerState {
  listings: SimListing[];
  /** AJIO, Amazon: the refresh token still works; Flipkart: client credentials set; Meesho: API key set. */
  refreshTokenValid: boolean;
  /** Access tokens (seeded or issued) that are still valid now. */
  accessTokens: number;
}
export interface SimLedgerFilter {
  marketplace?: SimMarketplace;
  sellerId?: string;
  operation?: SimOperation;
  idempotencyKey?: string;
}

/** A control call the simulator refused: its HTTP status and JSON body (e.g. 409 `{"error","sku"}`). */
export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';

  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export class SimulatorControl {
  private readonly baseUrl: string;

  constructor(baseUrl: string | undefined = process.env.SIMULATOR_URL) {
    if (!baseUrl) {
      throw new Error(
        'SimulatorControl: SIMULATOR_URL is not set (start the local stack with `npm run stack:up`; it writes the URL to .data/stack.env)',
      );
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async putSeller(marketplace: SimMarketplace, sellerId: string, seed: SimSellerSeed): Promise<void> {
    await this.call('PUT', sellerPath(marketplace, sellerId), seed);
  }

  async seller(marketplace: SimMarketplace, sellerId: string): Promise<SimSellerState> {
    return (await this.call('GET', sellerPath(marketplace, sellerId))) as SimSellerState;
  }

  async addFault(fault: SimFault): Promise<string> {
    return ((await this.call('POST', '/_sim/faults', fault)) as { id: string }).id;
  }

  /** Removing a rule that already fired its `times` is not an error. */
  async removeFault(id: string): Promise<void> {
    await this.call('DELETE', `/_sim/faults/${encodeURIComponent(id)}`);
  }

  /** Sets a marketplace rate limit (`POST /_sim/limits`); the latest matching one applies. */
  async addRateLimit(limit: SimRateLimit): Promise<string> {
    return ((await this.call('POST', '/_sim/limits', limit)) as { id: string }).id;
  }

  async removeRateLimit(id: string): Promise<void> {
    await this.call('DELETE', `/_sim/limits/${encodeURIComponent(id)}`);
  }

  async clearFaults(sellerId: string): Promise<void> {
    await this.call('DELETE', `/_sim/faults?${new URLSearchParams({ sellerId })}`);
  }

  /** The mutations the simulator received, oldest first. */
  async ledger(filter: SimLedgerFilter = {}): Promise<SimLedgerEntry[]> {
    const query = new URLSearchParams(
      Object.entries(filter).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    return ((await this.call('GET', `/_sim/ledger?${query}`)) as { entries: SimLedgerEntry[] }).entries;
  }

  /** The reads the simulator answered (paged reads, document content, …), oldest first. */
  async reads(filter: Omit<SimLedgerFilter, 'idempotencyKey'> = {}): Promise<SimReadEntry[]> {
    const query = new URLSearchParams(
      Object.entries(filter).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    return ((await this.call('GET', `/_sim/reads?${query}`)) as { entries: SimReadEntry[] }).entries;
  }

  /**
   * Places an order now, as a buyer would: each line's listing loses the line's quantity. Refused
   * (nothing changes) with a SimulatorError whose `status` is 409 and `body` is
   * `{"error":"insufficient quantity","sku","available"}` when a listing does not show that many
   * units, or `{"error":"duplicate orderId"}`.
   */
  async placeOrder(marketplace: SimMarketplace, sellerId: string, order: SimNewOrder): Promise<SimWireOrder> {
    return (await this.call('POST', `${sellerPath(marketplace, sellerId)}/orders`, order)) as SimWireOrder;
  }

  /** Sets an order's status now; the first cancellation puts its units back on the listings. */
  async setOrderStatus(
    marketplace: SimMarketplace,
    sellerId: string,
    orderId: string,
    status: string,
  ): Promise<SimWireOrder> {
    const path = `${sellerPath(marketplace, sellerId)}/orders/${encodeURIComponent(orderId)}/status`;
    return (await this.call('POST', path, { status })) as SimWireOrder;
  }

  /** Adds a return of an existing order, created now. */
  async addReturn(
    marketplace: SimMarketplace,
    sellerId: string,
    ret: Omit<SimReturn, 'createdAt'>,
  ): Promise<SimReturn> {
    return (await this.call('POST', `${sellerPath(marketplace, sellerId)}/returns`, ret)) as SimReturn;
  }

  /** Edits a listing directly, as the seller's portal would (drift): not an API call, not in the ledger. */
  async setListing(
    marketplace: SimMarketplace,
    sellerId: string,
    sku: string,
    change: Omit<SimListingChange, 'sku'>,
  ): Promise<SimListing> {
    const path = `${sellerPath(marketplace, sellerId)}/listings/${encodeURIComponent(sku)}`;
    return (await this.call('PATCH', path, change)) as SimListing;
  }

  /** Throws a SimulatorError for any answer but 2xx. */
  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new SimulatorError(
        `simulator ${method} ${path} answered ${response.status}: ${text}`,
        response.status,
        parseJson(text),
      );
    }
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const sellerPath = (marketplace: SimMarketplace, sellerId: string) =>
  `/_sim/sellers/${marketplace}/${encodeURIComponent(sellerId)}`;
