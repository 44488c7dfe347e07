/**
 * An expired AJIO access token on the real poller path, on both SQS servers: syncs of the account
 * queued on account-sync (its FIFO group) and on the Standard read queues all meet the expired token
 * at AJIO (the simulator). The first that meets it asks for one refresh, in the account's token group;
 * that refresh completes while the syncs wait, and every sync then completes well inside its
 * production retry policy. Exactly one token call reaches AJIO for the expired token.
 *
 * Production settings throughout (retry policies, poller retry delay, batch size, visibility); the
 * pollers long-poll 1 s instead of 20 s, which only makes an idle poller ask again sooner: a message
 * that arrives is returned at once either way.
 */
import type { temporal } from '@temporalio/proto';
import { workflowIdFor } from '../../src/contracts/workflows';
import type { Envelope, MessageType } from '../../src/contracts/envelope';
import { sqsServers } from '../support/sqs';
import { useWorkflowBench, WorkflowBench, type Seller } from '../support/workflow-bench';

jest.setTimeout(300_000);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Per activity of a workflow: the attempt it completed on, and the most its retry policy allows. */
async function activityAttempts(bench: WorkflowBench, workflowId: string) {
  const events: HistoryEvent[] = (await bench.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return events
    .filter((event) => event.activityTaskScheduledEventAttributes)
    .map((scheduled) => {
      const started = events.find(
        (e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId),
      );
      const attributes = scheduled.activityTaskScheduledEventAttributes!;
      return {
        activity: attributes.activityType?.name,
        attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0,
        maximumAttempts: attributes.retryPolicy?.maximumAttempts ?? 0,
      };
    });
}

async function closeTime(bench: WorkflowBench, workflowId: string): Promise<number> {
  const { closeTime: closed } = await bench.client.workflow.getHandle(workflowId).describe();
  return closed!.getTime();
}

describe.each(sqsServers())('an expired AJIO token on %s', (_server, sqsOverrides) => {
  const bench = useWorkflowBench({ env: sqsOverrides }, async (created) => {
    for (const queue of ['account-sync', 'returns-sync', 'payout-sync']) await created.startPoller(queue);
  });

  it('is refreshed once, in its own group, before the syncs that met it spend their retries', async () => {
    const expiredAt = new Date(Date.now() - 60_000);
    const seller: Seller = await bench.seedSeller({ marketplace: 'ajio', tokenExpiresAt: expiredAt });
    const syncTypes: MessageType[] = [
      'ajio.orders-sync',
      'account.sync',
      'ajio.orders-sync',
      'returns.sync',
      'payout.sync',
    ];
    const syncs: Envelope[] = syncTypes.map((type) => bench.envelope(type, seller));
    // The refresh the syncs must cause: keyed by the account and the expired token's generation.
    const refreshId = workflowIdFor({
      type: 'ajio.token-refresh',
      accountId: seller.accountId,
      idempotencyKey: `ajio.token-refresh:${seller.accountId}:expired:${expiredAt.getTime()}`,
    });

    for (const sync of syncs) await bench.send(sync);
    const ends = await Promise.all(syncs.map((sync) => bench.ended(sync, 120_000)));

    expect(ends.map((end) => end.status)).toEqual(syncs.map(() => 'completed'));
    const refresh = await bench.client.workflow.getHandle(refreshId).result();
    expect(refresh).toEqual({ status: 'completed', compensations: [], refreshed: true });
    const refreshedAt = await closeTime(bench, refreshId);
    for (const sync of syncs) {
      expect(await closeTime(bench, workflowIdFor(sync))).toBeGreaterThan(refreshedAt);
      for (const { activity, attempt, maximumAttempts } of await activityAttempts(bench, workflowIdFor(sync))) {
        expect({ activity, spentAll: attempt >= maximumAttempts }).toEqual({ activity, spentAll: false });
      }
    }
    // At least the first sync met the expired token and waited for the refresh (it needed a retry).
    const retried = await Promise.all(
      syncs.map(async (sync) => (await activityAttempts(bench, workflowIdFor(sync))).some((a) => a.attempt > 1)),
    );
    expect(retried).toContain(true);
    // Counted at AJIO: one refresh call, for every sync that met the expired token.
    const tokenCalls = await bench.sim.ledger({ sellerId: seller.accountId, operation: 'token' });
    expect(tokenCalls.map((call) => call.outcome)).toEqual(['applied']);
    // Every message was deleted once its workflow completed; nothing waits or was dead-lettered.
    expect(await bench.t.drainAll()).toEqual([]);
  });
});
