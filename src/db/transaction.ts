import type { ClientBase, Pool, PoolClient } from 'pg';

/** A pool or a client inside a transaction: what a single statement needs. */
export type Queryable = Pick<Pool | ClientBase, 'query'>;

export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
