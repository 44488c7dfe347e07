/**
 * A Temporal outage under three poller processes on the same queue, as a deployment runs them: each
 * gives back what it holds and stops receiving, so a message bounced between the replicas is
 * received at most once by each, far below the safety net; nothing fails, nothing is dead-lettered,
 * and everything completes in order once Temporal is back. A Temporal server of its own, so the
 * outage disturbs no other test. Production poller settings (the role's defaults).
 */
import { startService, stopService } from '../../scripts/stack/stack';
import {
  expectAllRanInOrderUnharmed,
  expectPausedWithoutReceives,
  groupHeads,
  ReceiveCounter,
} from '../support/backpressure';
import { envelope, pipelineBench, type PipelineBench } from '../support/pipeline';
import { usePrivateTemporal } from '../support/private-server';
import { startRole, type RoleProcess } from '../support/role-process';
import { drainRawQueue, sqsServers } from '../support/sqs';

jest.setTimeout(420_000);

const REPLICAS = 3;
/**
 * A start against a stopped frontend fails after the client's gRPC retries for UNAVAILABLE (about
 * 20 s, at most 24 s with jitter). In the worst case the replicas take their turns: one receives,
 * fails and gives back, then the next receives what was given back.
 */
const ALL_REPLICAS_PAUSED = { pauseAfterMs: REPLICAS * 25_000, releaseWithinMs: 30_000 };

const { server, port } = usePrivateTemporal('temporal-outage-replicas', {
  envName: 'REPLICAS',
  port: 27253,
  uiPort: 28253,
});

describe.each(sqsServers())(
  'a Temporal outage under %s poller replicas, on %s'.replace('%s', String(REPLICAS)),
  (sqsName, sqsOverrides: NodeJS.ProcessEnv) => {
    let bench: PipelineBench;
    let pollers: RoleProcess[] = [];

    beforeAll(async () => {
      bench = await pipelineBench(['account'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, ...sqsOverrides });
      const env = { ...bench.t.env, POLLER_QUEUES: 'account-sync' };
      pollers = Array.from({ length: REPLICAS }, () => startRole('poller-worker', env));
      await Promise.all(pollers.map((poller) => poller.waitForOutput('polling account-sync')));
    });
    afterAll(async () => {
      for (const poller of pollers) poller.child.kill('SIGTERM');
      await Promise.all(pollers.map((poller) => poller.exited));
      await bench?.close();
    });

    it('counts no failure, dead-letters nothing and keeps receive counts low, then completes in order', async () => {
      const sqs = bench.t.deps.sqs;
      const queueUrl = bench.t.queueUrl('account-sync');
      const dlqUrl = bench.t.queues.find((q) => q.queue.name === 'account-sync')!.dlqUrl;
      expect(await stopService(server)).toBe(true);
      const messages = ['rep-a', 'rep-b', 'rep-c'].flatMap((account) =>
        [1, 2, 3, 4].map(() => envelope('account.sync', account)),
      );
      for (const message of messages) await bench.send('account-sync', message);

      // At most one receive by each replica before it pauses.
      const receives = await expectPausedWithoutReceives(
        new ReceiveCounter(sqs, queueUrl),
        groupHeads(messages),
        ALL_REPLICAS_PAUSED,
        REPLICAS,
      );
      expect(await drainRawQueue(sqs, dlqUrl)).toEqual([]);

      await startService(server);
      await expectAllRanInOrderUnharmed(bench, messages);
      console.log(
        `Temporal outage, ${REPLICAS} replicas on ${sqsName}: max receives by the pollers ${Math.max(...receives.values())}`,
      );
    });
  },
);
