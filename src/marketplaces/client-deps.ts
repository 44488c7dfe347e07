import type { MarketplaceRateLimiter } from './rate-limiter';
import type { SecretsSource } from './access-tokens';

/** What every marketplace module needs to build its client. */
export interface ClientDeps {
  baseUrl: string;
  timeoutMs: number;
  rateLimiter: MarketplaceRateLimiter;
  secrets: SecretsSource;
  /** The size caps of answers (MARKETPLACE_MAX_JSON_BYTES, DOCUMENT_MAX_BYTES). */
  maxJsonBytes: number;
  maxDocumentBytes: number;
}
