/** The marketplaces a seller's accounts connect to, and the limits workflow code plans with. */
export const MARKETPLACES = ['ajio', 'meesho', 'amazon', 'flipkart'] as const;
export type Marketplace = (typeof MARKETPLACES)[number];

/** SKUs one listing update may carry (Amazon's Listings Items API updates one SKU per call). */
export const MAX_SKUS_PER_UPDATE: Readonly<Record<Marketplace, number>> = {
  ajio: 50,
  meesho: 50,
  flipkart: 10,
  amazon: 1,
};

/** `items` cut into batches of at most one listing update of the marketplace each, in order. */
export function inUpdateBatches<T>(items: readonly T[], marketplace: Marketplace): T[][] {
  const size = MAX_SKUS_PER_UPDATE[marketplace];
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** How people write each marketplace's name, for summaries a person reads (the Temporal UI). */
export const MARKETPLACE_NAMES: Readonly<Record<Marketplace, string>> = {
  ajio: 'AJIO',
  meesho: 'Meesho',
  amazon: 'Amazon',
  flipkart: 'Flipkart',
};
