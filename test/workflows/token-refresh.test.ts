/**
 * The AJIO token-refresh saga on the real stack: refresh and store → verify; a refused new token is
 * replaced by the previous one while it is valid, else the account needs re-authorisation; and any
 * number of concurrent triggers for one account make exactly one refresh call at AJIO; no lock is held
 * across the AJIO call, and a write that came in meanwhile is not overwritten (compare-and-set).
 */
import { loadCredentials, saveCredentials } from '../../src/db/credentials';
import { requireKeyring } from '../../src/platform/keyring';
import type { SagaResult } from '../../src/workflows/saga';
import { eventually } from '../support/pipeline';
import { useWorkflowBench, type Seller } from '../support/workflow-bench';

const bench = useWorkflowBench();

type RefreshResult = SagaResult & { refreshed: boolean };

const stored = (seller: Seller) => loadCredentials(bench.pool, requireKeyring(bench.t.config), seller.accountId);

async function accountStatus(seller: Seller): Promise<string> {
  const { rows } = await bench.pool.query('SELECT status FROM seller_accounts WHERE id = $1', [seller.accountId]);
  return rows[0].status;
}

const tokenCalls = (seller: Seller) => bench.sim.ledger({ sellerId: seller.accountId, operation: 'token' });

it('refreshes, stores the new token sealed, verifies it, and the account keeps working with it', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio' });
  const before = await stored(seller);

  const result = await bench.execute<RefreshResult>(bench.envelope('ajio.token-refresh', seller));

  expect(result).toEqual({ status: 'completed', compensations: [], refreshed: true });
  const after = await stored(seller);
  expect(after!.secrets.accessToken).not.toBe(before!.secrets.accessToken);
  expect(after!.secrets.refreshToken).not.toBe(before!.secrets.refreshToken);
  expect(after!.tokenRefreshedAt).not.toBeNull();
  expect(after!.tokenExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 5 * 3_600_000);
  expect((await tokenCalls(seller)).map((entry) => entry.outcome)).toEqual(['applied']);
  // The old refresh token is dead at AJIO (rotation); the stored new access token works.
  expect(await bench.execute(bench.envelope('ajio.orders-sync', seller))).toEqual({ orders: 0 });
});

it('makes exactly one refresh call for concurrent triggers of one account', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio' });
  // Slow AJIO down so that the triggers really overlap.
  await bench.sim.addFault({ kind: 'latency', ms: 1_500, sellerId: seller.accountId, operation: 'token' });
  const dueAt = new Date(Date.now() - 60_000);
  const triggers = Array.from({ length: 3 }, () => bench.envelope('ajio.token-refresh', seller, {}, dueAt));

  const results = await Promise.all(triggers.map((trigger) => bench.execute<RefreshResult>(trigger)));

  expect(results.map((r) => r.refreshed).sort()).toEqual([false, false, true]);
  expect(results.every((r) => r.status === 'completed')).toBe(true);
  expect(await tokenCalls(seller)).toHaveLength(1);
});

it('holds no lock on the credentials across the AJIO call, and a write that comes in meanwhile stands', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio' });
  const keyring = requireKeyring(bench.t.config);
  await bench.sim.addFault({ kind: 'latency', ms: 3_000, sellerId: seller.accountId, operation: 'token', times: 1 });
  const trigger = bench.envelope('ajio.token-refresh', seller, {}, new Date(Date.now() - 60_000));
  const handle = await bench.start(trigger);
  // The refresh has taken its lease and is on its way to AJIO (which holds the call 3 s).
  await eventually(
    async () =>
      (
        await bench.pool.query('SELECT refresh_lease_key FROM account_credentials WHERE account_id = $1', [
          seller.accountId,
        ])
      ).rows[0].refresh_lease_key,
    (key) => key === trigger.idempotencyKey,
    30_000,
  );

  // Another writer (another refresh, say) takes the row at once, and stores its token first.
  const other = await bench.pool.connect();
  try {
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM account_credentials WHERE account_id = $1 FOR UPDATE NOWAIT', [seller.accountId]);
    const current = await loadCredentials(other, keyring, seller.accountId);
    const theirs = { ...current!.secrets, accessToken: `written-meanwhile-${seller.accountId}` };
    await saveCredentials(other, keyring, seller.accountId, theirs, new Date(Date.now() + 3_600_000), new Date());
    await other.query('COMMIT');
  } finally {
    other.release();
  }

  // The refresh's compare-and-set lost: the newer write served the trigger and stands.
  expect(await handle.result()).toEqual({ status: 'completed', compensations: [], refreshed: false });
  expect((await stored(seller))!.secrets.accessToken).toBe(`written-meanwhile-${seller.accountId}`);
  expect(await tokenCalls(seller)).toHaveLength(1);
});

it('restores the previous token when AJIO refuses the new one and the old one is still valid', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio' });
  const before = await stored(seller);
  await bench.sim.addFault({ kind: 'token-expired', sellerId: seller.accountId, operation: 'profile' });

  const result = await bench.sagaEnd(bench.envelope('ajio.token-refresh', seller));

  // Compensated, so the workflow fails and the trigger is dead-lettered with the reason.
  expect(result).toMatchObject({
    status: 'compensated',
    failedStep: 'verify',
    compensations: [{ step: 'refresh', ok: true }],
    failureType: 'SagaCompensated',
    nonRetryable: true,
  });
  const after = await stored(seller);
  expect(after!.secrets.accessToken).toBe(before!.secrets.accessToken);
  expect(after!.tokenExpiresAt).toEqual(before!.tokenExpiresAt);
  expect(await accountStatus(seller)).toBe('active');
});

it('marks the account needs_reauth when the new token is refused and the old one has expired', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio', tokenExpiresAt: new Date(Date.now() - 60_000) });
  await bench.sim.addFault({ kind: 'token-expired', sellerId: seller.accountId, operation: 'profile' });

  const result = await bench.sagaEnd(bench.envelope('ajio.token-refresh', seller));

  expect(result).toMatchObject({ status: 'compensated', failedStep: 'verify', failureType: 'SagaCompensated' });
  expect(await accountStatus(seller)).toBe('needs_reauth');
});

it('marks the account needs_reauth at once when AJIO revokes the refresh token, and parks the refresh', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio' });
  await bench.sim.addFault({ kind: 'revoked', sellerId: seller.accountId, operation: 'token' });
  const trigger = bench.envelope('ajio.token-refresh', seller);

  await bench.start(trigger);
  const end = await bench.ended(trigger);

  // Nothing to undo; the work waits in the DLQ for the re-authorisation instead of completing.
  expect(end).toEqual({
    status: 'failed',
    failure: {
      type: 'MarketplaceAuthRevoked',
      message: expect.stringMatching(
        /^parked until the account is re-authorised: refresh refused \(.*invalid_grant.*\); saga compensated$/,
      ),
      nonRetryable: true,
    },
  });
  expect(await accountStatus(seller)).toBe('needs_reauth');
  expect(await tokenCalls(seller)).toHaveLength(1);
});

it('parks the refresh of an account that needs re-authorisation: the workflow fails, AJIO is never called', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio' });
  await bench.pool.query("UPDATE seller_accounts SET status = 'needs_reauth' WHERE id = $1", [seller.accountId]);
  const trigger = bench.envelope('ajio.token-refresh', seller);

  await bench.start(trigger);
  const end = await bench.ended(trigger);

  expect(end).toEqual({
    status: 'failed',
    failure: {
      type: 'AccountNeedsReauth',
      message: expect.stringMatching(/^parked until the account is re-authorised: refresh refused/),
      nonRetryable: true,
    },
  });
  expect(await tokenCalls(seller)).toEqual([]);
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(bench.workflowIds.length).toBeGreaterThanOrEqual(8);
  expect(await bench.secretsInHistories()).toEqual([]);
});
