import type { Pool } from 'pg';
import type { Marketplaces } from '../marketplaces';
import type { Keyring } from '../platform/keyring';

/** Everything the activities reach: PostgreSQL, the credential keyring, the marketplaces, the document store. */
export interface ActivityDeps {
  pool: Pool;
  keyring: Keyring;
  marketplaces: Marketplaces;
  documentStoreDir: string;
}
