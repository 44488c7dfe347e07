/**
 * Temporal stopped for 30 s under a live poller: no message may reach a DLQ (receives are what count
 * towards it), and everything completes once Temporal is back. A Temporal server of its own, so the
 * outage disturbs no other test.
 */
import { usePrivateTemporal } from '../support/private-server';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startService, stopService } from '../../scripts/stack/stack';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';

jest.setTimeout(240_000);

const { server, port } = usePrivateTemporal('temporal-outage', { envName: 'OUTAGE', port: 27243, uiPort: 28243 });
// The poller bench lives in an inner block, so it is set up after the server starts and closed
// before the server stops.
describe('with a live poller', () => {
  let bench: PipelineBench;

  beforeAll(async () => {
    bench = await pipelineBench(['account'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    await bench.startPoller('account-sync', { waitSeconds: 2 });
  });
  afterAll(() => bench?.close());

  async function depth(queue: 'url' | 'dlqUrl'): Promise<number> {
    const { Attributes = {} } = await bench.t.deps.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: bench.t.queues.find((q) => q.queue.name === 'account-sync')![queue],
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  }

  const completed = async () =>
    new Set((await bench.executions()).filter((r) => r.phase === 'end').map((r) => r.idempotency_key));

  it('sends nothing to the DLQ while Temporal is down for 30 s, and completes everything after', async () => {
    const before = ['out-a', 'out-b'].map((account) => envelope('account.sync', account));
    for (const message of before) await bench.send('account-sync', message);
    await eventually(completed, (keys) => before.every((m) => keys.has(m.idempotencyKey)));

    expect(await stopService(server)).toBe(true);
    const during = ['out-a', 'out-b', 'out-c'].flatMap((account) =>
      [1, 2, 3].map(() => envelope('account.sync', account)),
    );
    for (const message of during) await bench.send('account-sync', message);
    await sleep(30_000);
    expect(await depth('dlqUrl')).toBe(0);

    await startService(server);
    const keys = await eventually(completed, (done) => during.every((m) => done.has(m.idempotencyKey)), 120_000);
    expect(during.filter((m) => !keys.has(m.idempotencyKey))).toEqual([]);
    expect(
      await eventually(
        () => depth('url'),
        (n) => n === 0,
      ),
    ).toBe(0);
    expect(await depth('dlqUrl')).toBe(0);
  });
});
