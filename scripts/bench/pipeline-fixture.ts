/**
 * What the pipeline benchmarks send and run: messages over the six FIFO queues (account-sync,
 * inventory-deduct, marketplace-push-*), each starting the fixture workflow of one no-op activity
 * (`pipeline-workflows.ts`) on its family's task queue.
 */
import { findQueue, type QueueFamily } from '../../src/queues/catalogue';
import { MARKETPLACES, type Marketplace } from '../../src/contracts/marketplaces';
import type { Envelope, MessageType } from '../../src/contracts/envelope';
import { newEnvelope } from '../../src/contracts/envelope';

export const FIFO_QUEUES = [
  findQueue('account-sync'),
  findQueue('inventory-deduct'),
  ...MARKETPLACES.map((m) => findQueue(`marketplace-push-${m}`)),
];
export const FAMILIES: QueueFamily[] = ['account', 'inventory', 'marketplace-push'];
const TYPES: MessageType[] = ['account.sync', 'inventory.deduct', 'marketplace.push'];

/** Envelopes for accounts `bench-<n>`, each with a key unique to this run. */
export function envelopeFactory(run: string): (account: number) => Envelope {
  let sequence = 0;
  return (account) => {
    const type = TYPES[account % TYPES.length]!;
    const marketplace: Marketplace = MARKETPLACES[account % MARKETPLACES.length]!;
    sequence += 1;
    return newEnvelope({
      type,
      accountId: `bench-${account}`,
      // Inventory work names the seller whose stock it moves (its FIFO group): one per account here.
      ...(type === 'inventory.deduct' && { sellerId: `bench-seller-${account}` }),
      marketplace,
      idempotencyKey: `${type}:bench-${account}:${run}-${sequence}`,
      dueAt: new Date().toISOString(),
    });
  };
}
