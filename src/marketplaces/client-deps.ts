import type { MarketplaceRateLimiter } from './rate-limiter';
import type { SecretsSource } from './access-tokens';

/** What every marketplace module needs to build its client. */
export interface ClientDeps {
  baseUrl: string;
  timeoutMs: number;
  rateLimiter: MarketplaceRateLimiter;
  secrets: SecretsSource;
}
