import type { Envelope } from '../contracts/envelope';
import { compensations, tokens, withSummary } from './activity-options';
import { Saga, type SagaResult } from './saga';

/**
 * AJIO token refresh saga: refresh at AJIO and store the new token (one activity: the token never
 * passes through history) → verify it with a cheap authenticated call. If verification fails, the
 * previous token is restored while still valid, otherwise the account is marked `needs_reauth`.
 * A trigger already served by a newer refresh (a concurrent or repeated trigger) refreshes nothing.
 */
export async function ajioTokenRefreshWorkflow(envelope: Envelope): Promise<SagaResult & { refreshed: boolean }> {
  const { accountId } = envelope;
  const saga = new Saga('ajio-token-refresh', accountId);
  let refreshed = false;
  const result = await saga.run(async () => {
    const { dueAt, idempotencyKey } = envelope;
    const refresh = { accountId, dueAt, idempotencyKey };
    ({ refreshed } = await saga.activity('refresh', 'refresh the AJIO token', tokens.refreshAjioToken, refresh));
    if (!refreshed) return;
    const restore = 'compensate: restore the previous AJIO token';
    saga.compensateWith(
      'refresh',
      () => withSummary(compensations.restorePreviousAjioToken, restore, { accountId }),
      restore,
    );
    saga.expectSteps(2);
    await saga.activity('verify', 'verify the new AJIO token with one call', tokens.verifyAjioToken, { accountId });
  });
  return { ...result, refreshed };
}
