import { Pool } from 'pg';
import type { Config } from '../config';
import { roleLogger, type Logger } from '../platform/logger';

export function createPool(config: Config, { max = 10, log }: { max?: number; log?: Logger } = {}): Pool {
  const pool = new Pool({ connectionString: config.database.url, max });
  // An idle connection that the server drops (a restart, a failover) is reported here; without a
  // listener the pool's 'error' event would end the process. The pool opens a new one when needed.
  pool.on('error', (error) =>
    (log ?? roleLogger(config, 'db')).warn({ err: error }, 'idle PostgreSQL connection lost; it will be replaced'),
  );
  return pool;
}
