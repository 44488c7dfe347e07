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
] as const;
export type SimFaultKind = (typeof SIM_FAULT_KINDS)[number];

export interface SimListing {
  sku: string;
  quantity: number;
  pricePaise: number;
  status: 'active' | 'inactive';
}
export interface SimOrder {
  orderId: string;
  status: string;
  totalPaise: number;
  orderedAt: string;
  lines: { sku: string; quantity: number }[];
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

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`simulator ${method} ${path} answered ${response.status}: ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}

const sellerPath = (marketplace: SimMarketplace, sellerId: string) =>
  `/_sim/sellers/${marketplace}/${encodeURIComponent(sellerId)}`;
