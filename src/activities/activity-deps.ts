import type { Pool } from 'pg';
import type { Envelope } from '../contracts/envelope';
import type { Claim } from '../db/dispatch-claims';
import type { SendOutcome } from '../queues/batch-sender';
import type { Marketplaces } from '../marketplaces';
import type { Keyring } from '../platform/keyring';

/**
 * Everything the activities reach: PostgreSQL, the credential keyring, the marketplaces, the document
 * store, and SQS for the messages activities send: a token refresh an expired AJIO token needs, and
 * the order syncs' outbox (`inventory.publish`, claimed in the page's transaction).
 */
export interface ActivityDeps {
  pool: Pool;
  keyring: Keyring;
  marketplaces: Marketplaces;
  documentStoreDir: string;
  /** Sends an envelope to its queue the way every producer does (src/queues/batch-sender.ts). */
  sendMessage: (envelope: Envelope) => Promise<void>;
  /** Sends claimed messages and records the outcome on each claim (src/queues/claim-sender.ts). */
  sendClaims: (claims: readonly Claim[]) => Promise<SendOutcome>;
  /** The lease of a claim an activity makes: how long before a scheduling tick may send it instead. */
  claimLeaseSeconds: number;
}
