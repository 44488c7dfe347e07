/**
 * A randomised inventory workload and its oracle, for docs/inventory.md's invariant: sellers with
 * several accounts sharing SKUs; orders placed, shipped, cancelled and returned at the simulator;
 * order syncs, pushes, manual deducts, redeliveries and replays sent through the real queues; faults
 * at the marketplaces. The plan is drawn from a seed (replayable); what the simulator accepted is
 * recorded as it happens. Expectations are derived from those inputs only, never from our tables.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageAttributeValue, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Rng } from '../../scripts/chaos/plan';
import { SimulatorError, type SimFault, type SimLedgerEntry } from '../../simulator/src/control';
import { newEnvelope, type Envelope, type MessageType } from '../../src/contracts/envelope';
import type { Marketplace } from '../../src/contracts/marketplaces';
import { REPLAY_ATTRIBUTES } from '../../src/queues/dead-letter-record';
import { fifoAttributes, queueForMessage } from '../../src/queues/routing';
import type { WorkflowBench } from './workflow-bench';

export const OPERATION_KINDS = [
  'order',
  'sync',
  'ship',
  'cancel',
  'return',
  'push',
  'deduct',
  'redeliver',
  'replay',
  'fault',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

const WEIGHTS: Record<OperationKind, number> = {
  order: 30,
  sync: 18,
  ship: 8,
  cancel: 8,
  return: 6,
  push: 8,
  deduct: 6,
  redeliver: 8,
  replay: 4,
  fault: 4,
};

const MARKETPLACE_ORDER: Marketplace[] = ['ajio', 'amazon', 'flipkart', 'meesho'];

export interface WorkloadAccount {
  accountId: string;
  marketplace: Marketplace;
}

export interface WorkloadSeller {
  sellerId: string;
  accounts: WorkloadAccount[];
  /** Our SKU id → its stock when seeded. */
  stock: Map<string, number>;
}

/** Each account lists each of its seller's SKUs as `<marketplace>-<sku>`. */
export const externalId = (account: WorkloadAccount, skuId: string) => `${account.marketplace}-${skuId}`;

interface PlacedOrder {
  seller: WorkloadSeller;
  account: WorkloadAccount;
  orderId: string;
  lines: { skuId: string; quantity: number }[];
  status: 'created' | 'shipped' | 'cancelled' | 'returned';
}

export interface WorkloadFigures {
  seed: number;
  sellers: number;
  accounts: number;
  skus: number;
  operations: Record<OperationKind, number>;
  ordersAccepted: number;
  ordersRefused: number;
  messagesSent: number;
}

const pickWeighted = (rng: Rng): OperationKind => {
  let roll = rng.float(
    0,
    Object.values(WEIGHTS).reduce((a, b) => a + b, 0),
  );
  for (const kind of OPERATION_KINDS) {
    roll -= WEIGHTS[kind];
    if (roll < 0) return kind;
  }
  return 'order';
};

/** Faults that retries must absorb: none of them fails a push for good. */
function transientFault(rng: Rng, account: WorkloadAccount): SimFault {
  const base = { sellerId: account.accountId, marketplace: account.marketplace, operation: 'listings-update' as const };
  return rng.pick<SimFault>([
    { ...base, kind: 'error', status: 503, times: 2 },
    { ...base, kind: 'rate-limit', retryAfterSeconds: 1, times: 1 },
    { ...base, kind: 'lose-response', times: 1 },
    { ...base, kind: 'latency', ms: 1_500, times: 2 },
    {
      kind: 'error',
      status: 503,
      times: 1,
      sellerId: account.accountId,
      marketplace: account.marketplace,
      operation: 'orders',
    },
  ]);
}

export class InventoryWorkload {
  readonly sellers: WorkloadSeller[] = [];
  readonly orders: PlacedOrder[] = [];
  /** Manual deducts sent, by idempotency key, with what they asked for. */
  readonly deducts = new Map<string, { seller: WorkloadSeller; skuId: string; quantity: number; envelope: Envelope }>();
  private readonly sent: Envelope[] = [];
  private readonly rng: Rng;
  private readonly run = randomUUID().slice(0, 6);
  private sequence = 0;
  readonly figures: WorkloadFigures;

  constructor(
    private readonly bench: WorkflowBench,
    readonly seed: number,
  ) {
    this.rng = new Rng(seed);
    this.figures = {
      seed,
      sellers: 0,
      accounts: 0,
      skus: 0,
      operations: Object.fromEntries(OPERATION_KINDS.map((k) => [k, 0])) as Record<OperationKind, number>,
      ordersAccepted: 0,
      ordersRefused: 0,
      messagesSent: 0,
    };
  }

  /** `sellerCount` sellers, each with 2-4 accounts on distinct marketplaces listing all its 2-4 SKUs. */
  async seedSellers(sellerCount: number): Promise<void> {
    for (let s = 0; s < sellerCount; s += 1) {
      const sellerId = `inv${this.run}s${s}`;
      const marketplaces = MARKETPLACE_ORDER.slice(0, this.rng.int(2, 4));
      const stock = new Map<string, number>();
      for (let k = 0; k < this.rng.int(2, 4); k += 1) stock.set(`${sellerId}-sku${k}`, this.rng.int(8, 30));
      const seller: WorkloadSeller = { sellerId, accounts: [], stock };
      for (const [skuId, units] of stock) await this.bench.seedSku(skuId, units, sellerId);
      for (const marketplace of marketplaces) {
        const account = { accountId: `${sellerId}-${marketplace}`, marketplace };
        await this.bench.seedSeller({
          sellerId,
          accountId: account.accountId,
          marketplace,
          listings: [...stock].map(([skuId, units]) => ({
            skuId,
            externalId: externalId(account, skuId),
            quantity: units,
            pricePaise: 10_000,
          })),
        });
        seller.accounts.push(account);
      }
      this.sellers.push(seller);
    }
    this.figures.sellers = this.sellers.length;
    this.figures.accounts = this.sellers.reduce((n, s) => n + s.accounts.length, 0);
    this.figures.skus = this.sellers.reduce((n, s) => n + s.stock.size, 0);
  }

  /** Runs `count` operations drawn from the seed, a few milliseconds apart, without waiting for their work. */
  async runOperations(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const kind = pickWeighted(this.rng);
      this.figures.operations[kind] += 1;
      await this.operate(kind);
      await sleep(this.rng.int(0, 120));
    }
  }

  private async operate(kind: OperationKind): Promise<void> {
    const seller = this.rng.pick(this.sellers);
    const account = this.rng.pick(seller.accounts);
    switch (kind) {
      case 'order':
        return this.placeOrder(seller, account);
      case 'sync':
        return this.send(this.envelope('account.sync', seller, account));
      case 'ship':
        return this.changeOrder('created', 'shipped');
      case 'cancel':
        return this.changeOrder(this.rng.pick(['created', 'shipped'] as const), 'cancelled');
      case 'return':
        return this.returnOrder();
      case 'push':
        return this.send(this.envelope('marketplace.push', seller, account));
      case 'deduct':
        return this.deduct(seller, account);
      case 'redeliver':
        return this.resend({});
      case 'replay':
        return this.resend({
          [REPLAY_ATTRIBUTES.replayOf]: { DataType: 'String', StringValue: randomUUID() },
          [REPLAY_ATTRIBUTES.replayedAt]: { DataType: 'String', StringValue: new Date().toISOString() },
        });
      case 'fault':
        await this.bench.sim.addFault(transientFault(this.rng, account));
        return;
    }
  }

  private envelope(type: MessageType, seller: WorkloadSeller, account: WorkloadAccount, payload = {}): Envelope {
    this.sequence += 1;
    return newEnvelope({
      type,
      accountId: account.accountId,
      sellerId: seller.sellerId,
      marketplace: account.marketplace,
      idempotencyKey: `${type}:${account.accountId}:w${this.run}n${this.sequence}`,
      dueAt: new Date().toISOString(),
      payload,
    });
  }

  async send(envelope: Envelope): Promise<void> {
    await this.bench.send(envelope);
    this.sent.push(envelope);
    this.figures.messagesSent += 1;
  }

  /** An earlier message sent again under a new deduplication id: SQS delivering it twice, or an operator's replay. */
  private async resend(attributes: Record<string, MessageAttributeValue>): Promise<void> {
    if (this.sent.length === 0) return;
    const envelope = this.rng.pick(this.sent);
    const queue = queueForMessage(envelope.type, envelope.marketplace);
    const url = this.bench.t.queueUrl(queue.name);
    await this.bench.t.deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify(envelope),
        MessageAttributes: Object.keys(attributes).length ? attributes : undefined,
        ...(queue.fifo ? { ...fifoAttributes(envelope), MessageDeduplicationId: `again-${randomUUID()}` } : {}),
      }),
    );
    this.figures.messagesSent += 1;
  }

  private async placeOrder(seller: WorkloadSeller, account: WorkloadAccount): Promise<void> {
    const skus = this.rng.sample([...seller.stock.keys()], this.rng.int(1, 2));
    const lines = skus.map((skuId) => ({ skuId, quantity: this.rng.int(1, 3) }));
    const orderId = `o${this.run}-${this.orders.length + this.figures.ordersRefused}`;
    try {
      await this.bench.sim.placeOrder(account.marketplace, account.accountId, {
        orderId,
        totalPaise: 10_000,
        lines: lines.map((line) => ({ sku: externalId(account, line.skuId), quantity: line.quantity })),
      });
    } catch (error) {
      // The marketplace sells only what it shows: a refusal is an input fact like an acceptance.
      if (error instanceof SimulatorError && error.status === 409) {
        this.figures.ordersRefused += 1;
        return;
      }
      throw error;
    }
    this.orders.push({ seller, account, orderId, lines, status: 'created' });
    this.figures.ordersAccepted += 1;
  }

  private async changeOrder(
    from: PlacedOrder['status'],
    to: 'shipped' | 'cancelled',
    seller?: WorkloadSeller,
  ): Promise<void> {
    const candidates = this.orders.filter((order) => order.status === from && (!seller || order.seller === seller));
    if (candidates.length === 0) return;
    const order = this.rng.pick(candidates);
    await this.bench.sim.setOrderStatus(order.account.marketplace, order.account.accountId, order.orderId, to);
    order.status = to;
  }

  /** A shipped order comes back: its return is received (half the time also as the order's own status). */
  private async returnOrder(seller?: WorkloadSeller): Promise<void> {
    const candidates = this.orders.filter(
      (order) => order.status === 'shipped' && (!seller || order.seller === seller),
    );
    if (candidates.length === 0) return;
    const order = this.rng.pick(candidates);
    const { marketplace, accountId } = order.account;
    await this.bench.sim.addReturn(marketplace, accountId, {
      returnId: `r-${order.orderId}`,
      orderId: order.orderId,
      status: 'received',
    });
    if (this.rng.int(0, 1) === 1)
      await this.bench.sim.setOrderStatus(marketplace, accountId, order.orderId, 'returned');
    order.status = 'returned';
  }

  private async deduct(seller: WorkloadSeller, account: WorkloadAccount): Promise<void> {
    const skuId = this.rng.pick([...seller.stock.keys()]);
    const envelope = this.envelope('inventory.deduct', seller, account, { skuId, quantity: 1 });
    this.deducts.set(envelope.idempotencyKey, { seller, skuId, quantity: 1, envelope });
    await this.send(envelope);
  }

  /**
   * The last changes, after everything else has settled: per seller one open order cancelled and one
   * shipped order returned. Stock that only comes back must reach every listing too, with no later
   * order or push to carry it there.
   */
  async closingWave(): Promise<void> {
    for (const seller of this.sellers) {
      this.figures.operations.cancel += 1;
      await this.changeOrder('created', 'cancelled', seller);
      this.figures.operations.return += 1;
      await this.returnOrder(seller);
    }
  }

  /** Clears faults and syncs every account once more, so every order change is seen. */
  async finalSync(): Promise<void> {
    for (const seller of this.sellers) {
      for (const account of seller.accounts) {
        await this.bench.sim.clearFaults(account.accountId);
        await this.send(this.envelope('account.sync', seller, account));
      }
    }
  }

  /** Every listing of every account, as the simulator shows it now. */
  async marketplaceQuantities(): Promise<Map<string, number>> {
    const shown = new Map<string, number>();
    for (const seller of this.sellers) {
      for (const account of seller.accounts) {
        const { listings } = await this.bench.sim.seller(account.marketplace, account.accountId);
        for (const listing of listings) shown.set(`${account.accountId}/${listing.sku}`, listing.quantity);
      }
    }
    return shown;
  }

  /** Every quantity a push wrote to one of this workload's listings, with when the marketplace took it. */
  async pushedQuantities(): Promise<{ at: number; accountId: string; sku: string; quantity: number }[]> {
    const entries: SimLedgerEntry[] = [];
    for (const seller of this.sellers) {
      for (const account of seller.accounts) {
        entries.push(...(await this.bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })));
      }
    }
    return entries.flatMap((entry) =>
      entry.applied.flatMap((change) =>
        change.quantity === undefined
          ? []
          : [{ at: Date.parse(entry.at), accountId: entry.sellerId, sku: change.sku, quantity: change.quantity }],
      ),
    );
  }
}

/** What each live order line does to its SKU in the end, from the order's last status (docs/inventory.md). */
export function expectedLineEffects(order: PlacedOrder): { skuId: string; stock: number; reserved: number }[] {
  return order.lines.map(({ skuId, quantity }) => {
    switch (order.status) {
      case 'created':
        return { skuId, stock: 0, reserved: quantity };
      case 'shipped':
        return { skuId, stock: -quantity, reserved: 0 };
      default:
        return { skuId, stock: 0, reserved: 0 };
    }
  });
}
