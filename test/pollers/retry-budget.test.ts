/**
 * The poller owns the retry decision, with the production retry delay (30 s) and budget (5 failed
 * runs): a poison message at the head of a FIFO group is run budget times, the delay apart, while the
 * 9 messages behind it wait held (never released ahead of it, never received again); then it alone is
 * dead-lettered, with its reason and failure type, and the 9 complete in order.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { findQueue } from '../../src/queues/catalogue';
import { DEAD_LETTER_ATTRIBUTES, listDeadLetters } from '../../src/queues/dead-letter-record';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { drainRawQueue, queueIsEmpty, sqsServers } from '../support/sqs';

jest.setTimeout(600_000);

const queue = findQueue('account-sync');
const { failedRunBudget, maxReceiveCount } = queue;
const { retryDelaySeconds } = queue.poller;

describe.each(sqsServers())('a poison message at the head of a FIFO group on %s', (server, sqsOverrides) => {
  let bench: PipelineBench;
  const receiveCounts = new Map<string, number>();

  beforeAll(async () => {
    bench = await pipelineBench(['account'], sqsOverrides);
    // Production settings: only the long poll is shortened (pipelineBench), which decides nothing here.
    await bench.startPoller('account-sync', undefined, {
      onCompleted: (done, message: Message) =>
        receiveCounts.set(done.idempotencyKey, Number(message.Attributes?.ApproximateReceiveCount)),
    });
  });
  afterAll(() => bench?.close());

  it('is run its budget of times, then dead-lettered alone; the 9 behind it complete in order, once each', async () => {
    const poison = envelope('account.sync', 'poison-head', { failRetryably: true });
    const behind = Array.from({ length: 9 }, () => envelope('account.sync', 'poison-head'));
    for (const message of [poison, ...behind]) await bench.send('account-sync', message);

    const expectedMs = (failedRunBudget - 1) * retryDelaySeconds * 1_000;
    const rows = await eventually(
      () => bench.executions(),
      (all) => behind.every((m) => all.some((r) => r.idempotency_key === m.idempotencyKey && r.phase === 'end')),
      expectedMs + 120_000,
    );
    const starts = rows.filter((r) => r.account_id === 'poison-head' && r.phase === 'start');
    const ends = rows.filter((r) => r.account_id === 'poison-head' && r.phase === 'end');

    // The poison ran exactly its budget, each run the retry delay after the previous one ended.
    const poisonStarts = starts.filter((r) => r.idempotency_key === poison.idempotencyKey);
    const poisonEnds = ends.filter((r) => r.idempotency_key === poison.idempotencyKey);
    expect(poisonStarts).toHaveLength(failedRunBudget);
    for (let i = 1; i < failedRunBudget; i++) {
      const gap = poisonStarts[i]!.at.getTime() - poisonEnds[i - 1]!.at.getTime();
      expect(gap).toBeGreaterThanOrEqual(retryDelaySeconds * 1_000 - 1_000);
    }
    // Then the rest, in the order sent, one run each, none before the poison's last run.
    const rest = starts.filter((r) => r.idempotency_key !== poison.idempotencyKey);
    expect(rest.map((r) => r.idempotency_key)).toEqual(behind.map((m) => m.idempotencyKey));
    expect(rest[0]!.at.getTime()).toBeGreaterThanOrEqual(poisonEnds.at(-1)!.at.getTime());

    // Only the poison is in the DLQ, with what failed and how; and recorded for `npm run dlq`.
    const dlqUrl = bench.t.queues.find((q) => q.queue.name === 'account-sync')!.dlqUrl;
    const dead = await drainRawQueue(bench.t.deps.sqs, dlqUrl);
    expect(dead.map((m) => JSON.parse(m.Body!).idempotencyKey)).toEqual([poison.idempotencyKey]);
    const said = (name: string) => dead[0]!.MessageAttributes?.[name]?.StringValue;
    expect(said(DEAD_LETTER_ATTRIBUTES.disposition)).toBe('failed');
    expect(said(DEAD_LETTER_ATTRIBUTES.reason)).toBe('asked to fail this run');
    expect(said(DEAD_LETTER_ATTRIBUTES.failureType)).toBe('TestFailure');
    const records = await listDeadLetters(bench.t.deps.pool, 'account-sync');
    expect(records.map((r) => [r.idempotencyKey, r.disposition, r.failureType])).toEqual([
      [poison.idempotencyKey, 'failed', 'TestFailure'],
    ]);

    // The messages behind it were never handed out again while it was retried.
    const counts = behind.map((m) => receiveCounts.get(m.idempotencyKey)!);
    expect(Math.max(...counts)).toBeLessThan(failedRunBudget);
    expect(Math.max(...counts)).toBeLessThan(maxReceiveCount);
    expect(await eventually(() => queueIsEmpty(bench.t.deps.sqs, bench.t.queueUrl('account-sync')), Boolean)).toBe(
      true,
    );
    console.log(
      `${server}: poison case: DLQ ${dead.length}, completed ${rest.length}, ` +
        `receive counts of the 9: ${counts.join(',')}, poison runs ${poisonStarts.length}`,
    );
  });
});
