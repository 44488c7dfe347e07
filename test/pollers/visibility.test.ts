import type { Message } from '@aws-sdk/client-sqs';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';

jest.setTimeout(120_000);

let bench: PipelineBench;
const completions: { key: string; receiveCount?: string }[] = [];

beforeAll(async () => {
  bench = await pipelineBench(['background']);
  // A workflow that outlives the visibility timeout several times over.
  await bench.startPoller(
    'returns-sync',
    { visibilityTimeoutSeconds: 3 },
    {
      onCompleted: (completed, message: Message) =>
        completions.push({ key: completed.idempotencyKey, receiveCount: message.Attributes?.ApproximateReceiveCount }),
    },
  );
});
afterAll(() => bench?.close());

it('keeps a message invisible while its workflow runs longer than the visibility timeout', async () => {
  const slow = envelope('returns.sync', 'slow-1', { sleepMs: 8_000 });
  await bench.send('returns-sync', slow);
  await eventually(
    async () => completions,
    (list) => list.length > 0,
    60_000,
  );
  // Give a redelivery, had there been one, the time to show up.
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  expect(completions).toEqual([{ key: slow.idempotencyKey, receiveCount: '1' }]);
  const starts = (await bench.executions()).filter((r) => r.account_id === 'slow-1' && r.phase === 'start');
  expect(starts).toHaveLength(1);
});
