/**
 * What the Temporal UI shows of a message's workflow before anyone opens its history: a one-line
 * summary a person understands (what, which seller and account, which marketplace, how many items) and
 * details in markdown (the ids to search the logs, queues and tables by). Built from the envelope
 * alone, so the same message always reads the same.
 */
import type { Envelope, MessageType } from './envelope';
import { MARKETPLACE_NAMES } from './marketplaces';

type Summarise = (envelope: Envelope, subject: Subject) => string;

/** Who and where the work is for: `account A-7 (seller S-12) on Flipkart`, in parts. */
interface Subject {
  /** `account A-7 (seller S-12)`, or `account A-7` when the message names no seller. */
  account: string;
  seller: string;
  market: string;
}

const units = (quantity: unknown): string =>
  typeof quantity === 'number' ? `${quantity} unit${quantity === 1 ? '' : 's'}` : 'an unstated quantity';
const sku = ({ payload }: Envelope): string => (typeof payload.skuId === 'string' ? `SKU ${payload.skuId}` : 'a SKU');
const version = ({ payload }: Envelope): string =>
  typeof payload.version === 'number' ? ` (version ${payload.version})` : '';

const SUMMARIES: Record<MessageType, Summarise> = {
  'account.sync': (_, { account, market }) => `Sync orders and returns of ${account} from ${market}`,
  'ajio.token-refresh': (_, { account }) => `Refresh the AJIO access token of ${account}`,
  'ajio.orders-sync': (_, { account }) => `Sync AJIO orders of ${account}`,
  'inventory.deduct': (envelope, { seller, market }) =>
    `Deduct ${units(envelope.payload.quantity)} of ${sku(envelope)} for ${seller} and push it to every listing (asked on ${market}, account ${envelope.accountId})`,
  'inventory.publish': (envelope, { seller }) =>
    `Publish the stock of ${sku(envelope)}${version(envelope)} to every listing of ${seller}`,
  'inventory.repair': (_, { account, market }) => `Repair the stock every ${market} listing of ${account} shows`,
  'marketplace.push': (_, { account, market }) =>
    `Push quantities, prices and statuses of every listing of ${account} to ${market}`,
  'returns.sync': (_, { account, market }) => `Sync returns of ${account} from ${market}`,
  'document.download': (_, { account, market }) => `Download new documents of ${account} from ${market}`,
  'payout.sync': (_, { account, market }) => `Sync payouts of ${account} from ${market}`,
  'reconciliation.run': (_, { account, market }) => `Reconcile ${market} orders against payouts of ${account}`,
};

function subjectOf({ accountId, sellerId, marketplace }: Envelope): Subject {
  return {
    account: sellerId === undefined ? `account ${accountId}` : `account ${accountId} (seller ${sellerId})`,
    seller: sellerId === undefined ? `the seller of account ${accountId}` : `seller ${sellerId}`,
    market: MARKETPLACE_NAMES[marketplace],
  };
}

/** One line, e.g. `Push quantities, prices and statuses of every listing of account A-7 (seller S-12) to Flipkart`. */
export function workflowStaticSummary(envelope: Envelope): string {
  return SUMMARIES[envelope.type](envelope, subjectOf(envelope));
}

/** A value inside a markdown code span: a backtick or line break in a payload's text cannot end it. */
const code = (value: unknown): string => `\`${String(value).replace(/[`\r\n]/g, ' ')}\``;

/** Markdown: the message's identity, its trace id (the logs' key), when it was due, and its payload. */
export function workflowStaticDetails(envelope: Envelope): string {
  const payload = Object.entries(envelope.payload).map(([field, value]) => `${field} ${code(value)}`);
  return [
    `**${envelope.type}** for account ${code(envelope.accountId)}` +
      (envelope.sellerId === undefined ? '' : ` of seller ${code(envelope.sellerId)}`) +
      ` on ${MARKETPLACE_NAMES[envelope.marketplace]}`,
    '',
    `- Idempotency key: ${code(envelope.idempotencyKey)}`,
    `- Trace id: ${code(envelope.traceId)}`,
    `- Due at: ${envelope.dueAt}`,
    `- Payload: ${payload.length > 0 ? payload.join(', ') : 'none'}`,
  ].join('\n');
}
