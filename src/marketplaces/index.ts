/** The four marketplace clients, built once per worker from configuration. */
import type { RedisConnection } from '../platform/redis';
import { requireMarketplaceConfig, type Config } from '../config';
import type { Marketplace } from '../contracts/marketplaces';
import { createAjio, type AjioTokens } from './ajio';
import { createAmazon } from './amazon';
import type { SecretsSource } from './access-tokens';
import type { MarketplaceClient } from './client';
import { createFlipkart } from './flipkart';
import { createMeesho } from './meesho';
import { MarketplaceRateLimiter } from './rate-limiter';

export interface Marketplaces {
  clients: Record<Marketplace, MarketplaceClient>;
  ajioTokens: AjioTokens;
  /** How long one marketplace call may take (MARKETPLACE_TIMEOUT_MS): what a push's locks wait for. */
  callTimeoutMs: number;
}

export function createMarketplaces(config: Config, redis: RedisConnection, secrets: SecretsSource): Marketplaces {
  const { urls, timeoutMs, amazonLwa, rateLimitProcesses, maxJsonBytes, documentMaxBytes } =
    requireMarketplaceConfig(config);
  const rateLimiter = new MarketplaceRateLimiter({
    redis,
    keyPrefix: config.redis.keyPrefix,
    expectedProcesses: rateLimitProcesses,
  });
  const deps = (marketplace: Marketplace) => ({
    baseUrl: urls[marketplace],
    timeoutMs,
    rateLimiter,
    secrets,
    maxJsonBytes,
    maxDocumentBytes: documentMaxBytes,
  });
  const ajio = createAjio(deps('ajio'));
  return {
    clients: {
      ajio: ajio.client,
      amazon: createAmazon({ ...deps('amazon'), lwa: amazonLwa }),
      flipkart: createFlipkart(deps('flipkart')),
      meesho: createMeesho(deps('meesho')),
    },
    ajioTokens: ajio.tokens,
    callTimeoutMs: timeoutMs,
  };
}
