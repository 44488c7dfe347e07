/**
 * The simulator's memory: per marketplace, its sellers and the credentials that identify them;
 * across marketplaces, the idempotency cache and the ledger of mutations. Nothing is persisted: a
 * restarted simulator starts empty and tests seed what they need.
 */
import { randomBytes } from 'node:crypto';
import type {
  SimLedgerEntry,
  SimLedgerFilter,
  SimListing,
  SimMarketplace,
  SimPayout,
  SimReadEntry,
  SimReturn,
  SimSellerSeed,
  SimSellerState,
  SimWireOrder,
} from './control';
import type { Answer } from './http';

const SEEDED_ACCESS_TOKEN_TTL_MS = 6 * 3600_000;

export interface StoredDocument {
  documentId: string;
  kind: string;
  createdAt: string;
  content: Buffer;
}

export interface Seller {
  id: string;
  listings: Map<string, SimListing>;
  /** By `orderedAt`, then id: the order `since` reads page through. */
  orders: SimWireOrder[];
  /**
   * Orders whose units are back on the listings (or never left them: seeded as cancelled), so a
   * cancellation puts an order's units back once, however often its status is set.
   */
  unitsPutBack: Set<string>;
  returns: SimReturn[];
  payouts: SimPayout[];
  documents: StoredDocument[];
  clientSecret?: string;
}

/** "cancelled" or "canceled", in any case: the statuses that put an order's units back. */
export const isCancellation = (status: string) => /^cancell?ed$/i.test(status);

/** Oldest first (then by id), the order reads page through. */
export function chronological<T>(items: T[] | undefined, dateOf: (item: T) => string, idOf: (item: T) => string): T[] {
  return [...(items ?? [])].sort(
    (a, b) => Date.parse(dateOf(a)) - Date.parse(dateOf(b)) || idOf(a).localeCompare(idOf(b)),
  );
}

export const newToken = (marketplace: SimMarketplace, kind: 'access' | 'refresh') =>
  `sim-${marketplace}-${kind}-${randomBytes(18).toString('base64url')}`;

export class MarketplaceState {
  private readonly sellers = new Map<string, Seller>();
  private readonly accessTokens = new Map<string, { sellerId: string; expiresAt: number }>();
  /** Every refresh token ever seen, so a rotated-away one still tells whose it was (for the ledger). */
  private readonly refreshTokens = new Map<string, { sellerId: string; valid: boolean }>();
  private readonly clientIds = new Map<string, string>();
  private readonly apiKeys = new Map<string, string>();

  constructor(readonly marketplace: SimMarketplace) {}

  /** Creates or replaces a seller; the credentials of the one it replaces stop working. */
  putSeller(sellerId: string, seed: SimSellerSeed): void {
    this.forgetCredentials(sellerId);
    const { credentials } = seed;
    const orders = (seed.orders ?? []).map((order) => ({ ...order, updatedAt: order.updatedAt ?? order.orderedAt }));
    this.sellers.set(sellerId, {
      id: sellerId,
      listings: new Map((seed.listings ?? []).map((listing) => [listing.sku, { ...listing }])),
      orders: chronological(
        orders,
        (o) => o.orderedAt,
        (o) => o.orderId,
      ),
      unitsPutBack: new Set(orders.filter((order) => isCancellation(order.status)).map((order) => order.orderId)),
      returns: chronological(
        seed.returns,
        (r) => r.createdAt,
        (r) => r.returnId,
      ),
      payouts: chronological(
        seed.payouts,
        (p) => p.paidAt,
        (p) => p.payoutId,
      ),
      documents: chronological(
        seed.documents,
        (d) => d.createdAt,
        (d) => d.documentId,
      ).map((document) => ({
        ...document,
        content: Buffer.from(document.content, 'base64'),
      })),
      clientSecret: credentials.clientSecret,
    });
    if (credentials.accessToken) {
      const expiresAt = credentials.accessTokenExpiresAt
        ? Date.parse(credentials.accessTokenExpiresAt)
        : Date.now() + SEEDED_ACCESS_TOKEN_TTL_MS;
      this.accessTokens.set(credentials.accessToken, { sellerId, expiresAt });
    }
    if (credentials.refreshToken) this.refreshTokens.set(credentials.refreshToken, { sellerId, valid: true });
    if (credentials.clientId) this.clientIds.set(credentials.clientId, sellerId);
    if (credentials.apiKey) this.apiKeys.set(credentials.apiKey, sellerId);
  }

  seller(sellerId: string): Seller | undefined {
    return this.sellers.get(sellerId);
  }

  /** The seller a still-valid access token belongs to. */
  accessTokenOwner(token: string): string | undefined {
    const owner = this.accessTokens.get(token);
    if (!owner) return undefined;
    if (owner.expiresAt > Date.now()) return owner.sellerId;
    this.accessTokens.delete(token);
    return undefined;
  }

  apiKeyOwner(key: string): string | undefined {
    return this.apiKeys.get(key);
  }

  refreshTokenOwner(token: string): { sellerId: string; valid: boolean } | undefined {
    return this.refreshTokens.get(token);
  }

  /** The seller owning a client id, and whether the secret is theirs. */
  clientOwner(clientId: string, clientSecret: string): { sellerId: string; valid: boolean } | undefined {
    const sellerId = this.clientIds.get(clientId);
    if (sellerId === undefined) return undefined;
    return { sellerId, valid: this.sellers.get(sellerId)?.clientSecret === clientSecret };
  }

  issueAccessToken(sellerId: string, ttlSeconds: number): string {
    const token = newToken(this.marketplace, 'access');
    this.accessTokens.set(token, { sellerId, expiresAt: Date.now() + ttlSeconds * 1000 });
    return token;
  }

  /** Replaces the seller's refresh token: the old one stops working, its access tokens do not. */
  rotateRefreshToken(sellerId: string): string {
    for (const owner of this.refreshTokens.values()) if (owner.sellerId === sellerId) owner.valid = false;
    const token = newToken(this.marketplace, 'refresh');
    this.refreshTokens.set(token, { sellerId, valid: true });
    return token;
  }

  /** What the control API shows: listings and whether credentials work, never their values. */
  view(sellerId: string): SimSellerState | undefined {
    const seller = this.sellers.get(sellerId);
    if (!seller) return undefined;
    const now = Date.now();
    const owned = <T extends { sellerId: string }>(entries: Iterable<T>) =>
      [...entries].filter((entry) => entry.sellerId === sellerId);
    return {
      listings: [...seller.listings.values()].sort((a, b) => a.sku.localeCompare(b.sku)),
      refreshTokenValid:
        owned(this.refreshTokens.values()).some((owner) => owner.valid) ||
        [...this.clientIds.values(), ...this.apiKeys.values()].includes(sellerId),
      accessTokens: owned(this.accessTokens.values()).filter((owner) => owner.expiresAt > now).length,
    };
  }

  private forgetCredentials(sellerId: string): void {
    const maps: Map<string, string | { sellerId: string }>[] = [
      this.accessTokens,
      this.refreshTokens,
      this.clientIds,
      this.apiKeys,
    ];
    for (const map of maps) {
      for (const [key, owner] of map) {
        if ((typeof owner === 'string' ? owner : owner.sellerId) === sellerId) map.delete(key);
      }
    }
  }
}

/** Answers already given, per (marketplace, Idempotency-Key), kept for the simulator's life. */
export class IdempotencyCache {
  private readonly answers = new Map<string, Answer>();

  get(marketplace: SimMarketplace, key: string): Answer | undefined {
    return this.answers.get(`${marketplace}\n${key}`);
  }

  put(marketplace: SimMarketplace, key: string, answer: Answer): void {
    this.answers.set(`${marketplace}\n${key}`, answer);
  }
}

/** Keys whose values are secrets, at any depth of a request body. */
const SECRET_KEY = /token|secret|password|api_?key|authorization/i;

/** A copy of a request body fit for the ledger: every secret is replaced by "[redacted]". */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? '[redacted]' : redact(inner)]),
  );
}

function matchesFilter(entry: SimLedgerEntry | SimReadEntry, filter: SimLedgerFilter): boolean {
  return (
    (filter.marketplace === undefined || entry.marketplace === filter.marketplace) &&
    (filter.sellerId === undefined || entry.sellerId === filter.sellerId) &&
    (filter.operation === undefined || entry.operation === filter.operation)
  );
}

export class Ledger {
  private readonly entries: SimLedgerEntry[] = [];

  record(entry: Omit<SimLedgerEntry, 'seq' | 'at'>): void {
    this.entries.push({
      seq: this.entries.length + 1,
      at: new Date().toISOString(),
      ...entry,
      request: redact(entry.request),
    });
  }

  query(filter: SimLedgerFilter): SimLedgerEntry[] {
    return this.entries.filter(
      (entry) =>
        matchesFilter(entry, filter) &&
        (filter.idempotencyKey === undefined || entry.idempotencyKey === filter.idempotencyKey),
    );
  }
}

/** Every read answered, for tests that count page reads (a resumed sync reads each page once). */
export class ReadLog {
  private readonly entries: SimReadEntry[] = [];

  record(entry: Omit<SimReadEntry, 'seq' | 'at'>): void {
    this.entries.push({ seq: this.entries.length + 1, at: new Date().toISOString(), ...entry });
  }

  query(filter: SimLedgerFilter): SimReadEntry[] {
    return this.entries.filter((entry) => matchesFilter(entry, filter));
  }
}
