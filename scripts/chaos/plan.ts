/**
 * What a chaos run does, decided up front from its seed: the accounts, every message and its send
 * round, the marketplace faults, and the moments (as fractions of the work done) at which processes
 * are killed and servers restarted. The same seed gives the same plan.
 */
import { seededRandom } from '../../simulator/src/random';
import type { SimFault } from '../../simulator/src/control';
import { MARKETPLACES, type Marketplace } from '../../src/contracts/marketplaces';
import type { MessageType } from '../../src/contracts/envelope';
import { finalSyncs, planMarketplaceOrders, type PlannedOrder } from './marketplace-orders';

/** The SQS servers of the local stack a run can use: ElasticMQ hands out several messages of one FIFO group per receive, as AWS does; fauxqs one. */
export const CHAOS_SQS_SERVERS = ['elasticmq', 'fauxqs'] as const;
export type ChaosSqsServer = (typeof CHAOS_SQS_SERVERS)[number];

export interface ChaosOptions {
  seed: number;
  /** The SQS server behind the run's fault proxy. */
  sqs: ChaosSqsServer;
  /** Messages the producer sends; the sweeps add one per seeded schedule. */
  messages: number;
  /** Sellers; most have accounts on two to four marketplaces listing the same SKUs, some only one. */
  sellers: number;
  /** Times each role (poller, worker, sweeper) is killed and each server restarted. */
  rounds: number;
  /** Sagas made to fail for good (half inventory, half push), so they must compensate. */
  sagaFailures: number;
  /** Accounts whose payout reads always fail, so their payout messages must end in the DLQ. */
  deadLetterAccounts: number;
  /** Messages per producer round; the rounds are spread over `produceSeconds`. */
  produceSeconds: number;
  drainTimeoutSeconds: number;
  /**
   * Roles run with the production claim lease (SWEEP_CLAIM_LEASE_SECONDS' default, 300 s) and no
   * hand-started claim-sweeper: the sweeper role's own scheduling-sweep ticks resend what a killed
   * sweep left unsent. Off: a 15 s lease and the claim-sweeper run by hand, for short runs.
   */
  productionLease?: boolean;
}

/** The full run: at least 2,000 messages over 60 sellers (about 150 accounts), every fault twice. */
export const FULL_RUN: Omit<ChaosOptions, 'seed'> = {
  sqs: 'elasticmq',
  messages: 2_000,
  sellers: 60,
  rounds: 2,
  sagaFailures: 8,
  deadLetterAccounts: 2,
  // As long as the events take (six pauses of 65-80 s and the rest, one after another): with the
  // traffic sent in one minute, the queues ran dry at a third of the events, and the faults after that
  // met an idle pipeline.
  produceSeconds: 600,
  drainTimeoutSeconds: 900,
  // The production claim lease and sweep cadence (see ChaosOptions): stale claims must be 0 as
  // deployed, not only under a lease shortened for the run. It adds at most lease + one tick.
  productionLease: true,
};

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  float(min = 0, max = 1): number {
    return min + this.next() * (max - min);
  }
  int(min: number, max: number): number {
    return Math.floor(this.float(min, max + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    return Array.from({ length: Math.min(count, pool.length) }, () => pool.splice(this.int(0, pool.length - 1), 1)[0]!);
  }
}

/** The producer's mix: per-account ordered work on FIFO queues, parallel work on Standard ones. */
const TYPE_WEIGHTS: [MessageType, number][] = [
  ['account.sync', 2],
  ['inventory.deduct', 2],
  ['marketplace.push', 2],
  ['payout.sync', 1],
  ['returns.sync', 1],
  ['reconciliation.run', 1],
  ['document.download', 1],
];

export interface PlannedAccount {
  accountId: string;
  /** The seller who owns the account, and its SKUs' stock. */
  sellerId: string;
  marketplace: Marketplace;
  /** The seller's SKUs: every account of a seller lists all of them (the same SKU ids). */
  skus: string[];
  /**
   * A SKU of the seller whose first push the marketplace refuses for good (on one of the seller's
   * accounts), so the deduct planned on it must compensate. The same on every account of the seller,
   * since their listings share its stock. Nothing else pushes it: the seller's other deducts take its
   * other SKU, its marketplace orders too, and none of its accounts gets pushes or drift repairs
   * (planned or scheduled), which would push every SKU and meet the refusal first.
   */
  doomedSku?: string;
}

export interface PlannedSeller {
  sellerId: string;
  skus: string[];
  accounts: PlannedAccount[];
}

export interface PlannedMessage {
  /** Position in the producer's sequence; per account this is the send order. */
  index: number;
  /** The producer's round; an account's messages of one round go out together, as a burst. */
  round: number;
  type: MessageType;
  account: PlannedAccount;
  idempotencyKey: string;
  payload: Record<string, string | number>;
}

export const CHAOS_EVENT_KINDS = [
  'kill-poller',
  'kill-worker',
  'kill-sweeper',
  'interrupt-sweep',
  'restart-temporal',
  'restart-redis',
  'restart-postgres',
  'crash-temporal',
  'crash-redis',
  'crash-postgres',
  'pause-poller',
  'pause-worker',
  'pause-sweeper',
  'lose-send-answers',
  'lose-receive-answers',
  'lose-delete-answers',
] as const;
export type ChaosEventKind = (typeof CHAOS_EVENT_KINDS)[number];

export interface PlannedEvent {
  kind: ChaosEventKind;
  /** Fires once this fraction of the producer's messages has left the queues. */
  atProgress: number;
  /**
   * How long the process or server stays down (for a sweep: how long it runs before the kill; for a
   * lost-answers event: how long the SQS proxy loses answers).
   */
  downMs: number;
  /** Which of the role's processes (two pollers, two workers). */
  replica: number;
  /** The next event fires while this one still lasts, without waiting for its moment. */
  overlapsNext?: boolean;
}

export interface ChaosPlan {
  options: ChaosOptions;
  sellers: PlannedSeller[];
  /** Every seller's accounts, seller by seller. */
  accounts: PlannedAccount[];
  messages: PlannedMessage[];
  faults: SimFault[];
  events: PlannedEvent[];
  /** Orders buyers place at the marketplaces during the run (marketplace-orders.ts). */
  orders: PlannedOrder[];
  /** What the targeted faults are meant to cause, for the report. */
  expected: { compensatedSagas: string[]; needsAttentionSagas: string[]; deadLetterAccounts: string[] };
}

/** One seller in five sells on one marketplace; the others on two to four, starting at a different one each. */
export function accountCountOf(sellerIndex: number): number {
  return sellerIndex % 5 === 4 ? 1 : 2 + (sellerIndex % 3);
}

function planAccounts(sellerCount: number): PlannedSeller[] {
  return Array.from({ length: sellerCount }, (_, i) => {
    const sellerId = `chaos-s${String(i).padStart(3, '0')}`;
    const skus = [`${sellerId}-sku-1`, `${sellerId}-sku-2`];
    const accounts = Array.from({ length: accountCountOf(i) }, (_, a): PlannedAccount => {
      const marketplace = MARKETPLACES[(i + a) % MARKETPLACES.length]!;
      return { accountId: `${sellerId}-${marketplace}`, sellerId, marketplace, skus };
    });
    return { sellerId, skus, accounts };
  });
}

function pickType(rng: Rng): MessageType {
  const total = TYPE_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = rng.float(0, total);
  for (const [type, weight] of TYPE_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return type;
  }
  return TYPE_WEIGHTS[0]![0];
}

/** Most consecutive messages of one account sent together (one SendMessageBatch holds at most 10). */
export const MAX_BURST = 4;

/**
 * Round by round, each account gets a burst of 1 to MAX_BURST consecutive messages, sent together so
 * a receive can return several of one FIFO group at once; per account, `index` is the send order.
 */
function planMessages(rng: Rng, accounts: PlannedAccount[], count: number): PlannedMessage[] {
  const messages: PlannedMessage[] = [];
  for (let round = 0; messages.length < count; round += 1) {
    for (const account of accounts) {
      const burst = Math.min(rng.int(1, MAX_BURST), count - messages.length);
      for (let i = 0; i < burst; i += 1) {
        const index = messages.length;
        const type = pickType(rng);
        messages.push({
          index,
          round,
          type,
          account,
          idempotencyKey: `${type}:${account.accountId}:p${index}`,
          payload: type === 'inventory.deduct' ? { skuId: rng.pick(account.skus), quantity: rng.int(1, 3) } : {},
        });
      }
    }
  }
  return messages;
}

/** Faults on every marketplace at low rates: what a busy day looks like. */
function backgroundFaults(marketplaceTimeoutMs: number): SimFault[] {
  return [
    { kind: 'latency', ms: 300, probability: 0.08 },
    { kind: 'latency', ms: marketplaceTimeoutMs + 1_000, probability: 0.01 },
    { kind: 'error', status: 503, probability: 0.03 },
    { kind: 'error', status: 500, operation: 'listings-update', probability: 0.02 },
    { kind: 'rate-limit', retryAfterSeconds: 1, probability: 0.03 },
    { kind: 'lose-response', operation: 'listings-update', probability: 0.05 },
  ];
}

/**
 * The first deduct of each of `count` sellers, the pushes of all those sellers' accounts turned into
 * syncs (see doomedSku).
 */
function doomDeducts(rng: Rng, sellers: PlannedSeller[], messages: PlannedMessage[], count: number): PlannedMessage[] {
  const firstDeducts = new Map<string, PlannedMessage>();
  for (const m of messages)
    if (m.type === 'inventory.deduct' && !firstDeducts.has(m.account.sellerId)) firstDeducts.set(m.account.sellerId, m);
  const doomed = rng.sample([...firstDeducts.values()], count);
  for (const deduct of doomed) {
    const seller = sellers.find((s) => s.sellerId === deduct.account.sellerId)!;
    for (const account of seller.accounts) account.doomedSku = seller.skus[1];
    for (const m of messages.filter((other) => other.account.sellerId === seller.sellerId)) {
      if (m.type === 'inventory.deduct')
        m.payload = { ...m.payload, skuId: m === deduct ? seller.skus[1]! : seller.skus[0]! };
      if (m.type === 'marketplace.push') {
        m.type = 'account.sync';
        m.idempotencyKey = `${m.type}:${m.account.accountId}:p${m.index}`;
        m.payload = {};
      }
    }
  }
  return doomed;
}

/**
 * Sagas that must compensate: a deduct whose push is refused for good (once: its compensation's push
 * goes through) or a push's status step refused for good; one push whose price undo is refused too,
 * so it must end needing attention.
 */
function sagaFaults(rng: Rng, sellers: PlannedSeller[], messages: PlannedMessage[], count: number) {
  const deducts = doomDeducts(rng, sellers, messages, Math.ceil(count / 2));
  const pushes = rng.sample(
    messages.filter((m) => m.type === 'marketplace.push'),
    Math.floor(count / 2),
  );
  const [stuck, ...compensatedPushes] = pushes;
  const faults: SimFault[] = [
    // On the deducting account's listing of the SKU: the deduct pushes it to every listing of the seller.
    ...deducts.map(({ account }) => ({
      kind: 'fail-hard' as const,
      sellerId: account.accountId,
      operation: 'listings-update' as const,
      sku: account.doomedSku!,
      times: 1,
    })),
    // Once: the refused update's own undo (`<key>:status:0:undo:<run>`) must go through.
    ...pushes.map((m) => ({ kind: 'fail-hard' as const, keyContains: `${m.idempotencyKey}:status:0`, times: 1 })),
    ...(stuck ? [{ kind: 'fail-hard' as const, keyContains: `${stuck.idempotencyKey}:pricePaise:0:undo` }] : []),
  ];
  return {
    faults,
    compensated: [...deducts, ...compensatedPushes].map((m) => m.idempotencyKey),
    needsAttention: stuck ? [stuck.idempotencyKey] : [],
  };
}

const PAUSES: readonly ChaosEventKind[] = ['pause-poller', 'pause-worker', 'pause-sweeper'];
const CRASHES: readonly ChaosEventKind[] = ['crash-temporal', 'crash-redis', 'crash-postgres'];

/**
 * A pause lasts past every lease it could hold: a poller's FIFO messages' visibility (60 s, the
 * ordered queues'), a worker's activity heartbeat timeouts (at most 1 minute) and a sweep job's
 * BullMQ lock (30 s). The background queues' 300 s visibility is not outlasted: a message seen
 * again there is the FIFO case without the order, and five minutes per pause would not fit a run.
 */
const PAUSE_MS = { min: 65_000, max: 80_000 };

/**
 * A sweep is killed as soon as it holds unsent claims, at the latest after this long: the deadline
 * only keeps a sweep that never claims from stalling the run. Starting a sweep (Node, tsx, the
 * connections) took over 10 s on a loaded two-core machine, so a shorter one killed it before it
 * claimed anything, and nothing was left for the claim-sweeper or the ticks to recover.
 */
const SWEEP_DEADLINE_MS = { min: 60_000, max: 90_000 };

function downTime(rng: Rng, kind: ChaosEventKind): number {
  if (kind === 'interrupt-sweep') return rng.int(SWEEP_DEADLINE_MS.min, SWEEP_DEADLINE_MS.max);
  if (PAUSES.includes(kind)) return rng.int(PAUSE_MS.min, PAUSE_MS.max);
  if (LOSS_WINDOWS.has(kind)) return rng.int(5_000, 10_000);
  return rng.int(1_000, 6_000);
}

/**
 * Per round, one server crash moved to the moment of one pause and fired while the pause lasts
 * (crash-postgres while a worker is stopped, say): faults that overlap, as real ones do.
 */
function overlapPairs(rng: Rng, events: PlannedEvent[], rounds: number): void {
  const unpaired = (kinds: readonly ChaosEventKind[]) =>
    events.filter((e) => kinds.includes(e.kind) && !e.overlapsNext && !paired.has(e));
  const paired = new Set<PlannedEvent>();
  for (let round = 0; round < rounds; round += 1) {
    const pause = rng.pick(unpaired(PAUSES));
    const crash = rng.pick(unpaired(CRASHES));
    pause.overlapsNext = true;
    crash.atProgress = pause.atProgress;
    paired.add(crash);
  }
}
/** Events that open a window in which the SQS proxy loses answers; `downMs` is the window's length. */
const LOSS_WINDOWS = new Set<ChaosEventKind>(['lose-send-answers', 'lose-receive-answers', 'lose-delete-answers']);

/**
 * Send windows open as the run starts, while the producer sends (through the proxy, with production's
 * batch sender): later, only the sweeps' rare sends would meet them.
 */
const SEND_LOSS_PROGRESS = 0;

function planEvents(rng: Rng, rounds: number): PlannedEvent[] {
  const events = CHAOS_EVENT_KINDS.flatMap((kind) =>
    Array.from({ length: rounds }, (): PlannedEvent => ({
      kind,
      atProgress: kind === 'lose-send-answers' ? SEND_LOSS_PROGRESS : rng.float(0.05, 0.85),
      downMs: downTime(rng, kind),
      replica: rng.int(0, 1),
    })),
  );
  overlapPairs(rng, events, rounds);
  // At one moment the overlapping event goes first, its partner right after it.
  return events.sort(
    (a, b) => a.atProgress - b.atProgress || Number(Boolean(b.overlapsNext)) - Number(Boolean(a.overlapsNext)),
  );
}

export function planChaos(options: ChaosOptions, marketplaceTimeoutMs: number): ChaosPlan {
  const rng = new Rng(options.seed);
  const sellers = planAccounts(options.sellers);
  const accounts = sellers.flatMap((seller) => seller.accounts);
  const messages = planMessages(rng, accounts, options.messages);
  const sagas = sagaFaults(rng, sellers, messages, options.sagaFailures);
  const deadLetterAccounts = rng
    .sample(
      accounts.filter((account) => messages.some((m) => m.account === account && m.type === 'payout.sync')),
      options.deadLetterAccounts,
    )
    .map((account) => account.accountId);
  const deadLetterFaults: SimFault[] = deadLetterAccounts.map((sellerId) => ({
    kind: 'fail-hard',
    sellerId,
    operation: 'payouts',
  }));
  const events = planEvents(rng, options.rounds);
  const lastRound = Math.max(-1, ...messages.map((m) => m.round));
  messages.push(...finalSyncs(accounts, messages.length, lastRound + 1));
  return {
    options,
    sellers,
    accounts,
    messages,
    // Targeted rules first: the first rule that decides a request ends the evaluation.
    faults: [...sagas.faults, ...deadLetterFaults, ...backgroundFaults(marketplaceTimeoutMs)],
    events,
    orders: planMarketplaceOrders(rng, sellers),
    expected: {
      compensatedSagas: sagas.compensated,
      needsAttentionSagas: sagas.needsAttention,
      deadLetterAccounts,
    },
  };
}
