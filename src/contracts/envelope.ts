/**
 * The message contract: one versioned envelope for every SQS message, validated when a sweep sends
 * it and again when a poller receives it. Envelopes are thin: ids and small scalars, never whole
 * objects and never secrets (docs/messages.md). Producers build envelopes with newEnvelope().
 *
 * Part of the contracts floor: no Node, AWS or database imports (byte lengths are measured with
 * TextEncoder, not Buffer).
 */
import { z } from 'zod';
import { MARKETPLACES, type Marketplace } from './marketplaces';

export const ENVELOPE_VERSION = 1;
/** Far below SQS's 1 MiB: an envelope that grows past this is carrying data it should reference. */
export const MAX_ENVELOPE_BYTES = 8 * 1024;

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const SELLER_ID_PATTERN = ACCOUNT_ID_PATTERN;
/** Safe as an SQS deduplication id and inside a Temporal workflow id. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface MessageTypeRoute {
  /** The logical name of the queue that carries this type (src/queues/catalogue.ts); per marketplace for pushes. */
  queue: (marketplace: Marketplace) => string;
  /** Types that only make sense for one marketplace. */
  onlyFor?: Marketplace;
  /**
   * The FIFO group of the type's messages on a FIFO queue; default: the account itself, so one
   * account's work runs in order and never at once.
   */
  group?: (identity: GroupIdentity) => string;
  /**
   * Inventory work: the message must carry the seller whose stock it moves (`sellerId`), and that
   * seller is its FIFO group, so all work on one seller's stock runs one at a time, whichever of the
   * seller's accounts it came from.
   */
  forSeller?: true;
}

/** What a message's FIFO group is made from. */
export interface GroupIdentity {
  accountId: string;
  sellerId?: string;
}

/** `:` never occurs in an account id (ACCOUNT_ID_PATTERN), so this never names an account's own group. */
function tokenGroup({ accountId }: GroupIdentity): string {
  return `token:${accountId}`;
}

/**
 * A seller's stock is shared by all its accounts' listings, so its work has one group per seller: the
 * seller id itself. Only seller work travels on the inventory queue, so no account's group shares it.
 */
function sellerGroup({ accountId, sellerId }: GroupIdentity): string {
  return sellerId ?? accountId;
}

export const MESSAGE_TYPES = {
  'account.sync': { queue: () => 'account-sync' },
  // A group of its own: a refresh must not wait behind the syncs that fail for want of it. Still one
  // group per account, so an account's refreshes run one at a time.
  'ajio.token-refresh': { queue: () => 'account-sync', onlyFor: 'ajio', group: tokenGroup },
  'ajio.orders-sync': { queue: () => 'account-sync', onlyFor: 'ajio' },
  // A deduction asked for by an operator or a caller (an offline sale): reserve, push, commit.
  'inventory.deduct': { queue: () => 'inventory-deduct', group: sellerGroup, forSeller: true },
  // A SKU's stock changed (an order line reserved, a cancellation released, a return restocked):
  // push its available quantity to every listing. Sent through the outbox by the order sync.
  'inventory.publish': { queue: () => 'inventory-deduct', group: sellerGroup, forSeller: true },
  // The periodic read-back of one account's listings (schedule kind `inventory`): repairs drift.
  'inventory.repair': { queue: () => 'inventory-deduct', group: sellerGroup, forSeller: true },
  'marketplace.push': { queue: (marketplace) => `marketplace-push-${marketplace}` },
  'returns.sync': { queue: () => 'returns-sync' },
  'document.download': { queue: () => 'document-download' },
  'payout.sync': { queue: () => 'payout-sync' },
  'reconciliation.run': { queue: () => 'reconciliation' },
} as const satisfies Record<string, MessageTypeRoute>;

export type MessageType = keyof typeof MESSAGE_TYPES;

/** The FIFO group a message travels in (see MessageTypeRoute.group). */
export function messageGroup(envelope: { type: MessageType } & GroupIdentity): string {
  const route: MessageTypeRoute = MESSAGE_TYPES[envelope.type];
  return route.group?.(envelope) ?? envelope.accountId;
}

/** Whether messages of this type move a seller's stock, and so must name the seller. */
export function isSellerWork(type: MessageType): boolean {
  return (MESSAGE_TYPES[type] as MessageTypeRoute).forSeller === true;
}

const MESSAGE_TYPE_NAMES = Object.keys(MESSAGE_TYPES) as [MessageType, ...MessageType[]];

/** Schedule kinds (schedules.kind) and the message each one sends. */
export const SCHEDULE_KINDS: Record<string, MessageType> = {
  'account-sync': 'account.sync',
  inventory: 'inventory.repair',
  'marketplace-push': 'marketplace.push',
  returns: 'returns.sync',
  documents: 'document.download',
  payouts: 'payout.sync',
  reconciliation: 'reconciliation.run',
};

/**
 * Characters some hop cannot carry: SQS refuses lone surrogates and U+FFFE/U+FFFF in a message,
 * PostgreSQL refuses NUL in text. JSON can still spell them as escapes (`"\ud800"`), so they are
 * refused here, before they reach a queue, a workflow or a query.
 */
const UNCARRIABLE = /[\p{Cs}\u0000\uFFFE\uFFFF]/u;
const UNCARRIABLE_ALL = new RegExp(UNCARRIABLE.source, 'gu');

export const isCarriableText = (text: string): boolean => !UNCARRIABLE.test(text);

/** The same text with every character SQS or PostgreSQL would refuse replaced by U+FFFD. */
export const toCarriableText = (text: string): string => text.replace(UNCARRIABLE_ALL, '\uFFFD');

const text = z
  .string()
  .max(256)
  .refine(isCarriableText, 'must be valid Unicode text (no lone surrogates, NUL, U+FFFE or U+FFFF)');
const scalar = z.union([text, z.number().finite(), z.boolean(), z.null()]);
/** Field names, not data: a letter, then letters, digits or _ (`__proto__` is caught before zod, which drops it). */
const PAYLOAD_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const envelopeSchema = z
  .object({
    v: z.literal(ENVELOPE_VERSION),
    type: z.enum(MESSAGE_TYPE_NAMES),
    accountId: z.string().regex(ACCOUNT_ID_PATTERN, 'must be 1-64 letters, digits, _ or -'),
    /** The seller (tenant) the account belongs to; required on inventory work, whose FIFO group it is. */
    sellerId: z.string().regex(SELLER_ID_PATTERN, 'must be 1-64 letters, digits, _ or -').optional(),
    marketplace: z.enum(MARKETPLACES),
    idempotencyKey: z.string().regex(IDEMPOTENCY_KEY_PATTERN, 'must be 1-128 letters, digits or _ . : -'),
    dueAt: z.iso.datetime(),
    traceId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8-64 letters, digits or -'),
    payload: z
      .record(z.string().regex(PAYLOAD_KEY_PATTERN, 'field names must be a letter, then letters, digits or _'), scalar)
      .refine((p) => Object.keys(p).length <= 32, 'has too many fields'),
  })
  .strict()
  .superRefine((envelope, ctx) => {
    const onlyFor = (MESSAGE_TYPES[envelope.type] as MessageTypeRoute).onlyFor;
    if (onlyFor && envelope.marketplace !== onlyFor) {
      ctx.addIssue({ code: 'custom', path: ['marketplace'], message: `must be ${onlyFor} for ${envelope.type}` });
    }
    if (isSellerWork(envelope.type) && envelope.sellerId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sellerId'], message: `is required for ${envelope.type}` });
    }
  });

export type Envelope = z.infer<typeof envelopeSchema>;

/** What a producer says about a message; the version is always this contract's, the rest defaults. */
export type EnvelopeFields = Omit<Envelope, 'v' | 'traceId' | 'payload'> &
  Partial<Pick<Envelope, 'traceId' | 'payload'>>;

/** The one way to build an envelope: the current version, a fresh trace id and an empty payload unless given. */
export function newEnvelope({ traceId = crypto.randomUUID(), payload = {}, ...fields }: EnvelopeFields): Envelope {
  return { v: ENVELOPE_VERSION, ...fields, traceId, payload };
}

const utf8 = new TextEncoder();
const utf8Length = (text: string): number => utf8.encode(text).length;

export type ParseResult = { ok: true; envelope: Envelope } | { ok: false; reason: string };

/**
 * JSON.parse makes `"__proto__"` an own key, which zod's record drops without a word (the strict
 * envelope itself reports it as an unknown key): the payload is the one place to look.
 */
function hasProtoPayloadKey(json: unknown): boolean {
  const payload = (json as { payload?: unknown } | null)?.payload;
  return typeof payload === 'object' && payload !== null && Object.hasOwn(payload, '__proto__');
}

/** Parses a message body; never throws, so a poller can route any failure to the DLQ with its reason. */
export function parseEnvelope(body: string): ParseResult {
  if (utf8Length(body) > MAX_ENVELOPE_BYTES) {
    return { ok: false, reason: `oversized: body exceeds ${MAX_ENVELOPE_BYTES} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'invalid JSON' };
  }
  if (hasProtoPayloadKey(json)) return { ok: false, reason: 'schema violation: payload.__proto__: not a field name' };
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== ENVELOPE_VERSION) {
    return { ok: false, reason: `unsupported envelope version ${JSON.stringify(json.v)}` };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (parsed.success) return { ok: true, envelope: parsed.data };
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || 'envelope'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason: `schema violation: ${reason}` };
}

/** Validates on the way out too: a sweep must never send what a poller would reject. */
export function serializeEnvelope(envelope: Envelope): string {
  const body = JSON.stringify(envelopeSchema.parse(envelope));
  if (utf8Length(body) > MAX_ENVELOPE_BYTES) throw new Error(`envelope ${envelope.idempotencyKey} is oversized`);
  return body;
}

/** A slot as a compact, sortable, id-safe token: 2026-11-22T10:05:00.000Z -> 20261122T1005Z. */
export function slotToken(slot: Date): string {
  return slot
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/(\d{4})\d{2}\.\d{3}Z$/, '$1Z');
}
