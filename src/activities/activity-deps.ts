import type { Pool } from 'pg';
import type { Envelope } from '../contracts/envelope';
import type { Marketplaces } from '../marketplaces';
import type { Keyring } from '../platform/keyring';

/**
 * Everything the activities reach: PostgreSQL, the credential keyring, the marketplaces, the document
 * store, and SQS for the one message an activity sends (a token refresh an expired AJIO token needs).
 */
export interface ActivityDeps {
  pool: Pool;
  keyring: Keyring;
  marketplaces: Marketplaces;
  documentStoreDir: string;
  /** Sends an envelope to its queue the way every producer does (src/queues/batch-sender.ts). */
  sendMessage: (envelope: Envelope) => Promise<void>;
}
