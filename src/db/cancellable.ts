/**
 * PostgreSQL work that stops when its activity is cancelled. pg takes no AbortSignal, so a statement
 * running when the signal fires is cancelled on the server (`pg_cancel_backend`, sent over another
 * connection of the pool): a lock wait or a slow query ends at once with SQLSTATE 57014, and the
 * caller's transaction rolls back (transaction.ts). A statement started after the cancel is refused
 * (only a ROLLBACK goes through), so a cancelled activity commits nothing more.
 */
import type { Pool, PoolClient, QueryResult } from 'pg';
import { checkOut } from './transaction';

/** Where the current cancellation signal comes from (the running activity's; none outside one). */
export type CancellationSource = () => AbortSignal | undefined;

type Query = (...args: unknown[]) => Promise<QueryResult>;

/** The statement text of a query call: a string, or a config object with `text`. */
function statementOf(args: unknown[]): string {
  const [first] = args;
  if (typeof first === 'string') return first;
  return (first as { text?: string } | undefined)?.text ?? '';
}

const ROLLBACK = /^\s*ROLLBACK\b/i;

/**
 * Runs one statement on `client`, cancelling it on the server if `signal` fires meanwhile; fails
 * with the signal's reason (the activity's CancelledFailure) instead of the server's 57014.
 */
async function cancellableQuery(
  pool: Pool,
  client: PoolClient,
  signal: AbortSignal,
  query: Query,
  args: unknown[],
): Promise<QueryResult> {
  if (signal.aborted && !ROLLBACK.test(statementOf(args))) throw signal.reason;
  // The session's backend pid (pg has it from the server's BackendKeyData, not in its types).
  const { processID } = client as unknown as { processID: number };
  const cancelOnServer = () => {
    // Best effort: if the statement ended meanwhile, the server has nothing of ours to cancel.
    pool.query('SELECT pg_cancel_backend($1)', [processID]).catch(() => undefined);
  };
  signal.addEventListener('abort', cancelOnServer, { once: true });
  try {
    return await query.apply(client, args);
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener('abort', cancelOnServer);
  }
}

/** A checked-out client whose statements honour the signal current when each is sent. */
function cancellableClient(pool: Pool, client: PoolClient, cancellation: CancellationSource): PoolClient {
  const query = client.query as unknown as Query;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') {
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        const signal = cancellation();
        return signal ? cancellableQuery(pool, target, signal, query, args) : query.apply(target, args);
      };
    },
  });
}

/**
 * The pool the activities use: every statement, whether through `pool.query` or a checked-out
 * client (a transaction), is cancelled on the server when the activity running it is cancelled.
 * Outside an activity it behaves as the pool itself.
 */
export function cancellablePool(pool: Pool, cancellation: CancellationSource): Pool {
  const connect = async (): Promise<PoolClient> => cancellableClient(pool, await pool.connect(), cancellation);
  const query = async (...args: unknown[]): Promise<QueryResult> => {
    if (!cancellation()) return (pool.query as unknown as Query).apply(pool, args);
    // Checked out with its session's errors heard (a server restart under the statement would
    // otherwise end the process), and thrown away when the statement failed, as pool.query does.
    const { client, release } = await checkOut(pool);
    let failure: unknown;
    try {
      return await cancellableQuery(pool, client, cancellation()!, client.query as unknown as Query, args);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      release(failure);
    }
  };
  const cancellable = new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'connect') return connect;
      if (property === 'query') return query;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  plainPools.set(cancellable, pool);
  return cancellable;
}

const plainPools = new WeakMap<Pool, Pool>();

/**
 * The pool under a cancellable one, for a write that must happen once its cause happened whatever
 * cancels the activity (a token the marketplace just rotated: dropping it would leave a dead refresh
 * token stored).
 */
export function uncancellable(pool: Pool): Pool {
  return plainPools.get(pool) ?? pool;
}
