import { Pool, type PoolClient } from 'pg';
import type { Config } from '../config';
import { roleLogger, type Logger } from '../platform/logger';

/**
 * A connection not free in time. Temporal reports a thrown error by its class name, so this is the
 * failure type the activity's attempt fails with: retryable, by its retry policy.
 */
export class PostgresPoolExhausted extends Error {
  override readonly name = 'PostgresPoolExhausted';
}

export interface PoolOptions {
  max?: number;
  /** How long a query or checkout waits for a connection; unset: as long as it takes. */
  connectionTimeoutMillis?: number;
  log?: Logger;
}

/** pg-pool's words when `connectionTimeoutMillis` ran out waiting for a free or new connection. */
const PG_POOL_TIMEOUT = 'timeout exceeded when trying to connect';

function poolExhausted(error: Error, pool: Pool, timeoutMs: number): Error {
  if (error.message !== PG_POOL_TIMEOUT) return error;
  return new PostgresPoolExhausted(
    `no PostgreSQL connection within ${timeoutMs} ms (${pool.totalCount} of ${pool.options.max} open, ` +
      `${pool.waitingCount} waiting); the attempt fails and is retried`,
    { cause: error },
  );
}

type ConnectCallback = (
  error: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * A pool whose timed-out waits say so by name: pg-pool's `query` checks out through `connect`, so both
 * fail with the same PostgresPoolExhausted error.
 */
class NamedTimeoutPool extends Pool {
  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const timeoutMs = this.options.connectionTimeoutMillis ?? 0;
    if (!callback)
      return super.connect().catch((error: Error) => Promise.reject(poolExhausted(error, this, timeoutMs)));
    super.connect((error, client, done) => callback(error && poolExhausted(error, this, timeoutMs), client, done));
  }
}

export function createPool(config: Config, { max = 10, connectionTimeoutMillis, log }: PoolOptions = {}): Pool {
  const pool = new NamedTimeoutPool({ connectionString: config.database.url, max, connectionTimeoutMillis });
  // An idle connection that the server drops (a restart, a failover) is reported here; without a
  // listener the pool's 'error' event would end the process. The pool opens a new one when needed.
  pool.on('error', (error) =>
    (log ?? roleLogger(config, 'db')).warn({ err: error }, 'idle PostgreSQL connection lost; it will be replaced'),
  );
  return pool;
}
