/**
 * Temporal throttling (RESOURCE_EXHAUSTED, as a Temporal Cloud namespace at its rate limit answers)
 * is backpressure, not a failure: a poller process connected through a gRPC proxy that refuses
 * StartWorkflowExecution stops receiving and gives back what it holds, nothing is dead-lettered and
 * no run fails; once starts are let through, everything completes in order. DescribeNamespace keeps
 * answering throughout, as it does under real namespace limits, so the poller must not take it for
 * "Temporal takes work again". Production poller settings (the role's defaults).
 */
import {
  expectAllRanInOrderUnharmed,
  expectPausedWithoutReceives,
  groupHeads,
  ReceiveCounter,
} from '../support/backpressure';
import { grpcThrottleProxy, type ThrottleProxy } from '../support/grpc-throttle-proxy';
import { envelope, pipelineBench, type PipelineBench } from '../support/pipeline';
import { startRole, type RoleProcess } from '../support/role-process';
import { drainRawQueue, sqsServers } from '../support/sqs';

jest.setTimeout(300_000);

/**
 * The client's gRPC retries give up on a throttled start after about 40 s (10 attempts, backoff from
 * 1 s up to 5 s, ±20 % jitter: 31 to 48 s); the poller gives back what it holds then.
 */
const THROTTLED_START_GIVES_UP = { pauseAfterMs: 30_000, releaseWithinMs: 40_000 };

describe.each(sqsServers())('Temporal throttling starts, on %s', (server, sqsOverrides: NodeJS.ProcessEnv) => {
  let bench: PipelineBench;
  let proxy: ThrottleProxy;
  let poller: RoleProcess;

  beforeAll(async () => {
    // The bench's worker talks to Temporal directly; only the poller goes through the proxy.
    bench = await pipelineBench(['account'], sqsOverrides);
    proxy = await grpcThrottleProxy(bench.t.config.temporal.address);
    poller = startRole('poller-worker', {
      ...bench.t.env,
      POLLER_QUEUES: 'account-sync',
      TEMPORAL_ADDRESS: proxy.address,
    });
    await poller.waitForOutput('polling account-sync');
  });
  afterAll(async () => {
    poller?.child.kill('SIGTERM');
    await poller?.exited;
    await proxy?.close();
    await bench?.close();
  });

  it('pauses receives without cost while starts are refused, then completes everything in order', async () => {
    const queueUrl = bench.t.queueUrl('account-sync');
    const dlqUrl = bench.t.queues.find((q) => q.queue.name === 'account-sync')!.dlqUrl;
    const sqs = bench.t.deps.sqs;
    proxy.throttle(['StartWorkflowExecution']);
    const messages = ['thr-a', 'thr-b', 'thr-c'].flatMap((account) =>
      [1, 2, 3, 4].map(() => envelope('account.sync', account)),
    );
    for (const message of messages) await bench.send('account-sync', message);

    // One throttled attempt per message before the pause: its first receive.
    const receives = await expectPausedWithoutReceives(
      new ReceiveCounter(sqs, queueUrl),
      groupHeads(messages),
      THROTTLED_START_GIVES_UP,
      1,
    );
    expect(proxy.counts('StartWorkflowExecution').refused).toBeGreaterThan(0);
    expect(proxy.counts('DescribeNamespace').refused).toBe(0);
    expect(await drainRawQueue(sqs, dlqUrl)).toEqual([]);

    proxy.throttle([]);
    await expectAllRanInOrderUnharmed(bench, messages);
    console.log(
      `throttled starts on ${server}: max receives by the poller ${Math.max(...receives.values())}, ` +
        `starts refused ${proxy.counts('StartWorkflowExecution').refused}`,
    );
  });
});
