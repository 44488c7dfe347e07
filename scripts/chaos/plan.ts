/**
 * What a chaos run does, decided up front from its seed: the accounts, every message and its send
 * round, the marketplace faults, and the moments (as fractions of the work done) at which processes
 * are killed and servers restarted. The same seed gives the same plan.
 */
import { seededRandom } from '../../simulator/src/random';
import type { SimFault } from '../../simulator/src/control';
import { MARKETPLACES, type Marketplace } from '../../src/contracts/marketplaces';
import type { MessageType } from '../../src/contracts/envelope';

/** The SQS servers of the local stack a run can use: ElasticMQ hands out several messages of one FIFO group per receive, as AWS does; fauxqs one. */
export const CHAOS_SQS_SERVERS = ['elasticmq', 'fauxqs'] as const;
export type ChaosSqsServer = (typeof CHAOS_SQS_SERVERS)[number];

export interface ChaosOptions {
  seed: number;
  /** The SQS server behind the run's fault proxy. */
  sqs: ChaosSqsServer;
  /** Messages the producer sends; the sweeps add one per seeded schedule. */
  messages: number;
  accounts: number;
  /** Times each role (poller, worker, sweeper) is killed and each server restarted. */
  rounds: number;
  /** Sagas made to fail for good (half inventory, half push), so they must compensate. */
  sagaFailures: number;
  /** Accounts whose payout reads always fail, so their payout messages must end in the DLQ. */
  deadLetterAccounts: number;
  /** Messages per producer round; the rounds are spread over `produceSeconds`. */
  produceSeconds: number;
  drainTimeoutSeconds: number;
}

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
  marketplace: Marketplace;
  skus: string[];
  /**
   * A SKU whose first push the marketplace refuses for good, so the deduct planned on it must
   * compensate. Nothing else pushes it: the account's other deducts take its other SKU, and it gets no
   * pushes or drift repairs (planned or scheduled), which would meet the refusal first.
   */
  doomedSku?: string;
}

export interface PlannedMessage {
  /** Position in the producer's sequence; per account this is the send order. */
  index: number;
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
}

export interface ChaosPlan {
  options: ChaosOptions;
  accounts: PlannedAccount[];
  messages: PlannedMessage[];
  faults: SimFault[];
  events: PlannedEvent[];
  /** What the targeted faults are meant to cause, for the report. */
  expected: { compensatedSagas: string[]; needsAttentionSagas: string[]; deadLetterAccounts: string[] };
}

function planAccounts(count: number): PlannedAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const marketplace = MARKETPLACES[i % MARKETPLACES.length]!;
    const accountId = `chaos-${marketplace}-${String(i).padStart(3, '0')}`;
    return { accountId, marketplace, skus: [`${accountId}-sku-1`, `${accountId}-sku-2`] };
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

function planMessages(rng: Rng, accounts: PlannedAccount[], count: number): PlannedMessage[] {
  return Array.from({ length: count }, (_, index): PlannedMessage => {
    const account = accounts[index % accounts.length]!;
    const type = pickType(rng);
    return {
      index,
      round: Math.floor(index / accounts.length),
      type,
      account,
      idempotencyKey: `${type}:${account.accountId}:p${index}`,
      payload: type === 'inventory.deduct' ? { skuId: rng.pick(account.skus), quantity: rng.int(1, 3) } : {},
    };
  });
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

/** The first deduct of each of `count` accounts, those accounts' pushes turned into syncs (see doomedSku). */
function doomDeducts(rng: Rng, messages: PlannedMessage[], count: number): PlannedMessage[] {
  const firstDeducts = new Map<PlannedAccount, PlannedMessage>();
  for (const m of messages)
    if (m.type === 'inventory.deduct' && !firstDeducts.has(m.account)) firstDeducts.set(m.account, m);
  const doomed = rng.sample([...firstDeducts.values()], count);
  for (const deduct of doomed) {
    const account = deduct.account;
    account.doomedSku = account.skus[1];
    for (const m of messages.filter((other) => other.account === account)) {
      if (m.type === 'inventory.deduct')
        m.payload = { ...m.payload, skuId: m === deduct ? account.skus[1]! : account.skus[0]! };
      if (m.type === 'marketplace.push') {
        m.type = 'account.sync';
        m.idempotencyKey = `${m.type}:${account.accountId}:p${m.index}`;
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
function sagaFaults(rng: Rng, messages: PlannedMessage[], count: number) {
  const deducts = doomDeducts(rng, messages, Math.ceil(count / 2));
  const pushes = rng.sample(
    messages.filter((m) => m.type === 'marketplace.push'),
    Math.floor(count / 2),
  );
  const [stuck, ...compensatedPushes] = pushes;
  const faults: SimFault[] = [
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

/** Events that open a window in which the SQS proxy loses answers; `downMs` is the window's length. */
const LOSS_WINDOWS = new Set<ChaosEventKind>(['lose-send-answers', 'lose-receive-answers', 'lose-delete-answers']);

/**
 * Send windows open as the run starts, while the producer sends (through the proxy, with production's
 * batch sender): later, only the sweeps' rare sends would meet them.
 */
const SEND_LOSS_PROGRESS = 0;

function planEvents(rng: Rng, rounds: number): PlannedEvent[] {
  const events = CHAOS_EVENT_KINDS.flatMap((kind) =>
    Array.from({ length: rounds }, () => ({
      kind,
      atProgress: kind === 'lose-send-answers' ? SEND_LOSS_PROGRESS : rng.float(0.05, 0.85),
      downMs: kind === 'interrupt-sweep' || LOSS_WINDOWS.has(kind) ? rng.int(5_000, 10_000) : rng.int(1_000, 6_000),
      replica: rng.int(0, 1),
    })),
  );
  return events.sort((a, b) => a.atProgress - b.atProgress);
}

export function planChaos(options: ChaosOptions, marketplaceTimeoutMs: number): ChaosPlan {
  const rng = new Rng(options.seed);
  const accounts = planAccounts(options.accounts);
  const messages = planMessages(rng, accounts, options.messages);
  const sagas = sagaFaults(rng, messages, options.sagaFailures);
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
  return {
    options,
    accounts,
    messages,
    // Targeted rules first: the first rule that decides a request ends the evaluation.
    faults: [...sagas.faults, ...deadLetterFaults, ...backgroundFaults(marketplaceTimeoutMs)],
    events: planEvents(rng, options.rounds),
    expected: {
      compensatedSagas: sagas.compensated,
      needsAttentionSagas: sagas.needsAttention,
      deadLetterAccounts,
    },
  };
}
