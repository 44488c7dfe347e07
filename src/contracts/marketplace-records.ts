/**
 * What the marketplaces give us and what we send them, as plain shapes: the records a sync reads
 * (validated at the edge with these schemas) and the listing states and changes a push writes.
 * Workflows read these types, so this file imports nothing but zod.
 */
import { z } from 'zod';

const isoTime = z.iso.datetime({ offset: true });

export const READ_SCHEMAS = {
  // `updatedAt`: when the order last changed (its status). A marketplace that leaves it out has not
  // changed the order since it was placed, so it reads as `orderedAt`.
  orders: z
    .object({
      orderId: z.string().min(1).max(128),
      status: z.string().max(64),
      totalPaise: z.number().int(),
      orderedAt: isoTime,
      updatedAt: isoTime.optional(),
      lines: z.array(z.object({ sku: z.string().min(1).max(128), quantity: z.number().int().positive() })),
    })
    .transform(({ updatedAt, ...order }) => ({ ...order, updatedAt: updatedAt ?? order.orderedAt })),
  returns: z.object({
    returnId: z.string().min(1).max(128),
    orderId: z.string().min(1).max(128),
    status: z.string().max(64),
    createdAt: isoTime,
  }),
  payouts: z.object({
    payoutId: z.string().min(1).max(128),
    orderId: z.string().max(128).nullable(),
    amountPaise: z.number().int(),
    paidAt: isoTime,
  }),
  documents: z.object({
    documentId: z.string().min(1).max(128),
    kind: z.string().max(64),
    createdAt: isoTime,
    sizeBytes: z.number().int().nonnegative().optional(),
  }),
};
export type ReadResource = keyof typeof READ_SCHEMAS;
export type ReadItem<R extends ReadResource> = z.infer<(typeof READ_SCHEMAS)[R]>;

export const listingSchema = z.object({
  sku: z.string().min(1),
  quantity: z.number().int().nonnegative(),
  pricePaise: z.number().int().nonnegative(),
  status: z.enum(['active', 'inactive']),
});
export type ListingState = z.infer<typeof listingSchema>;
export type ListingChange = Pick<ListingState, 'sku'> & Partial<Omit<ListingState, 'sku'>>;

export interface UpdateOutcome {
  applied: string[];
  failed: { sku: string; error: string }[];
}
