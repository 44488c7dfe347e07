import { Pool } from 'pg';
import type { Config } from '../config';

export function createPool(config: Config, { max = 10 } = {}): Pool {
  return new Pool({ connectionString: config.database.url, max });
}
