/**
 * A PostgreSQL session that ends under a statement of an activity (a restart, a fail-over, an
 * operator's pg_terminate_backend) fails that statement, never the process: pg reports the end as an
 * 'error' event on the checked-out client, which unheard would end the worker. Found by the chaos
 * run (restart-postgres): a worker died of `terminating connection due to administrator command`
 * while an activity's single statement ran through the cancellable pool.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { cancellablePool } from '../../src/db/cancellable';
import { inTransaction } from '../../src/db/transaction';

jest.setTimeout(30_000);

const databaseUrl = process.env.DATABASE_URL!;
let plain: Pool;
let admin: Pool;

beforeAll(() => {
  plain = new Pool({ connectionString: databaseUrl, max: 4 });
  admin = new Pool({ connectionString: databaseUrl, max: 1 });
});
afterAll(async () => {
  await plain?.end();
  await admin?.end();
});

/** Ends the session running the statement tagged `tag` as soon as it is seen running. */
async function terminateSessionRunning(tag: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const { rows } = await admin.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
        WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()`,
      [`%${tag}%`],
    );
    if (rows.some((row) => row.ended)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no session ran the statement tagged ${tag}`);
}

/** How the work ended, heard at once (its failure comes while the session is being ended). */
const settled = (work: Promise<unknown>): Promise<string> =>
  work.then(
    () => 'completed',
    (error: Error) => `failed: ${error.message}`,
  );

describe('a session that ends under an activity statement', () => {
  // Inside an activity: the cancellable pool runs each statement on a client of its own.
  const inActivity = () => cancellablePool(plain, () => new AbortController().signal);

  it('fails a single statement of the cancellable pool, and the pool goes on', async () => {
    const pool = inActivity();
    const tag = `ends-${randomUUID()}`;
    const statement = settled(pool.query(`SELECT pg_sleep(20) /* ${tag} */`));
    await terminateSessionRunning(tag);

    expect(await statement).toMatch(/terminat/i);
    const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('fails a transaction, and the pool goes on', async () => {
    const pool = inActivity();
    const tag = `ends-${randomUUID()}`;
    const transaction = settled(inTransaction(pool, (client) => client.query(`SELECT pg_sleep(20) /* ${tag} */`)));
    await terminateSessionRunning(tag);

    expect(await transaction).toMatch(/terminat/i);
    const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });
});
