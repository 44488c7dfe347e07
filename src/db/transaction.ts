import type { ClientBase, Pool, PoolClient } from 'pg';

/** A pool or a client inside a transaction: what a single statement needs. */
export type Queryable = Pick<Pool | ClientBase, 'query'>;

/**
 * A client checked out of the pool, with its session's errors heard: a server that goes away while it
 * is out (a restart, a fail-over, a session ended past its idle timeout) is reported by pg as an
 * 'error' event when no query is running, which unheard would end the process. `release` throws the
 * client away, not back into the pool, when its session broke or the statement it ran failed.
 */
export async function checkOut(
  pool: Pool,
): Promise<{ client: PoolClient; broke: (error: Error) => void; release: (failure?: unknown) => void }> {
  const client = await pool.connect();
  let sessionError: Error | undefined;
  const broke = (error: Error) => void (sessionError ??= error);
  client.on('error', broke);
  return {
    client,
    broke,
    // A statement that failed (`failure`) may have failed with its session, before pg's 'error' event
    // came: the client is thrown away then too, as pg's own pool.query does.
    release: (failure?: unknown) => {
      client.removeListener('error', broke);
      client.release(sessionError ?? (failure instanceof Error ? failure : undefined));
    },
  };
}

export interface TransactionLimits {
  /**
   * Bounds both how long the transaction waits for another's locks and how long it may sit idle
   * holding its own (a call made while it is open): past it the server ends the session, and the
   * client is thrown away, not pooled.
   */
  holdMs?: number;
}

async function limitHold(client: PoolClient, holdMs: number): Promise<void> {
  await client.query(`SET LOCAL lock_timeout = ${Math.ceil(holdMs)}`);
  await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.ceil(holdMs)}`);
}

export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  { holdMs }: TransactionLimits = {},
): Promise<T> {
  const { client, broke, release } = await checkOut(pool);
  try {
    await client.query('BEGIN');
    if (holdMs !== undefined) await limitHold(client, holdMs);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(broke);
    throw error;
  } finally {
    release();
  }
}
