import type { Message } from '@aws-sdk/client-sqs';
import { workflowIdFor } from '../../src/contracts/workflows';
import { ACCOUNT_FAILURES } from '../../src/contracts/failures';
import { findQueue } from '../../src/queues/catalogue';
import { DEAD_LETTER_ATTRIBUTES } from '../../src/queues/dead-letter-record';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { drainRawQueue, queueIsEmpty as queueHasNothing, sqsServers } from '../support/sqs';

jest.setTimeout(240_000);

type Execution = Awaited<ReturnType<PipelineBench['executions']>>[number];

describe.each(sqsServers())('SQS pollers → Temporal on %s', (_server, sqsOverrides: NodeJS.ProcessEnv) => {
  let bench: PipelineBench;

  beforeAll(async () => {
    bench = await pipelineBench(['account', 'background'], sqsOverrides);
    await bench.startPoller('account-sync');
    // The retry delay only spaces a message's runs; its budget counts runs, whatever their spacing. With
    // no delay, the budget test below shows the same runs and verdict in seconds instead of 2 minutes
    // (retry-budget.test.ts runs the production delay).
    await bench.startPoller('payout-sync', { retryDelaySeconds: 0 });
  });
  afterAll(() => bench?.close());

  /** Start/end intervals of each workflow run, from the workflows' own record. */
  function intervals(executions: Execution[], accountPrefix: string) {
    const runs = new Map<string, { key: string; account: string; start?: number; end?: number }>();
    for (const e of executions.filter((x) => x.account_id.startsWith(accountPrefix))) {
      const run = runs.get(e.run_id) ?? { key: e.idempotency_key, account: e.account_id };
      run[e.phase as 'start' | 'end'] = e.at.getTime();
      runs.set(e.run_id, run);
    }
    return [...runs.values()].sort((a, b) => a.start! - b.start!);
  }

  /** What a dead letter's SQS copy says about itself. */
  const attributes = (message: Message) => {
    const read = (name: string) => message.MessageAttributes?.[name]?.StringValue;
    const a = DEAD_LETTER_ATTRIBUTES;
    return { disposition: read(a.disposition), reason: read(a.reason), failureType: read(a.failureType) };
  };

  const queueIsEmpty = (queue: string) => queueHasNothing(bench.t.deps.sqs, bench.t.queueUrl(queue));

  /** Receives and deletes everything in a DLQ, with message attributes. */
  const drainDeadLetters = (queue: string): Promise<Message[]> =>
    drainRawQueue(bench.t.deps.sqs, bench.t.queues.find((q) => q.queue.name === queue)!.dlqUrl);

  describe('pollers', () => {
    it('processes 50 messages of one account strictly in order, never two at once', async () => {
      const messages = Array.from({ length: 50 }, () => envelope('account.sync', 'order-1'));
      for (const message of messages) await bench.send('account-sync', message);

      const done = await eventually(
        () => bench.executions(),
        (rows) => rows.filter((r) => r.account_id === 'order-1' && r.phase === 'end').length >= 50,
      );
      const runs = intervals(done, 'order-1');
      expect(runs.map((run) => run.key)).toEqual(messages.map((m) => m.idempotencyKey));
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.start!).toBeGreaterThanOrEqual(runs[i - 1]!.end!);
      expect(await eventually(() => queueIsEmpty('account-sync'), Boolean)).toBe(true);
    });

    it('runs different accounts in parallel while each account stays sequential', async () => {
      const accounts = Array.from({ length: 10 }, (_, i) => `par-${i}`);
      for (let round = 0; round < 5; round++) {
        for (const account of accounts)
          await bench.send('account-sync', envelope('account.sync', account, { sleepMs: 200 }));
      }
      const done = await eventually(
        () => bench.executions(),
        (rows) => rows.filter((r) => r.account_id.startsWith('par-') && r.phase === 'end').length >= 50,
      );
      const runs = intervals(done, 'par-');
      expect(runs).toHaveLength(50);
      // Per account: no overlap.
      for (const account of accounts) {
        const own = runs.filter((run) => run.account === account);
        for (let i = 1; i < own.length; i++) expect(own[i]!.start!).toBeGreaterThanOrEqual(own[i - 1]!.end!);
      }
      // Across accounts: at some moment most accounts were running at once.
      const peak = Math.max(
        ...runs.map((run) => runs.filter((o) => o.start! <= run.start! && o.end! > run.start!).length),
      );
      expect(peak).toBeGreaterThanOrEqual(5);
    });

    it('runs a business message sent twice (different dedup ids) once', async () => {
      const message = envelope('account.sync', 'dup-1', { sleepMs: 300 });
      await bench.send('account-sync', message, 'first-send');
      await bench.send('account-sync', message, 'second-send');
      await eventually(() => queueIsEmpty('account-sync'), Boolean);
      const runs = intervals(await bench.executions(), 'dup-1');
      expect(runs).toHaveLength(1);
      const described = await bench.client.workflow.getHandle(workflowIdFor(message)).describe();
      expect(described.status.name).toBe('COMPLETED');
      expect(described.memo).toMatchObject({ traceId: message.traceId });
      expect(described.typedSearchAttributes.get({ name: 'AccountId', type: 'KEYWORD' } as never)).toBe('dup-1');
    });

    it('moves invalid messages to the DLQ with the reason and keeps serving the queue', async () => {
      await bench.sendRaw('account-sync', '{"v":1,', 'poison-1');
      await bench.sendRaw(
        'account-sync',
        JSON.stringify({ ...envelope('account.sync', 'poison-1'), type: 'account.delete' }),
        'poison-1',
      );
      const good = envelope('account.sync', 'poison-1');
      await bench.send('account-sync', good);

      await eventually(
        () => bench.executions(),
        (rows) => rows.some((r) => r.idempotency_key === good.idempotencyKey && r.phase === 'end'),
      );
      const Messages = await drainDeadLetters('account-sync');
      const reasons = Messages.map((m) => m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue);
      expect(reasons).toEqual(['invalid JSON', expect.stringContaining('schema violation: type:')]);
      // The dead-letter record names the queue by its catalogue name, as `npm run dlq` does.
      expect(Messages[0]!.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.sourceQueue]?.StringValue).toBe('account-sync');
      expect(Messages.map((m) => m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.disposition]?.StringValue)).toEqual([
        'invalid',
        'invalid',
      ]);
    });

    it('dead-letters a non-retryable failure after its one run; the rest of its group then runs, in order', async () => {
      const first = envelope('account.sync', 'group-1', { fail: true });
      const rest = [envelope('account.sync', 'group-1'), envelope('account.sync', 'group-1')];
      for (const message of [first, ...rest]) await bench.send('account-sync', message);

      const done = await eventually(
        () => bench.executions(),
        (rows) => rest.every((m) => rows.some((r) => r.idempotency_key === m.idempotencyKey && r.phase === 'end')),
        120_000,
      );
      const runs = intervals(done, 'group-1');
      // No retry can fix it: one run, then the DLQ; only then did the rest start.
      expect(runs.map((run) => run.key)).toEqual([first.idempotencyKey, ...rest.map((m) => m.idempotencyKey)]);
      const dead = await drainDeadLetters('account-sync');
      expect(dead.map((m) => JSON.parse(m.Body!).idempotencyKey)).toEqual([first.idempotencyKey]);
      expect(attributes(dead[0]!)).toMatchObject({
        disposition: 'failed',
        failureType: 'TestFailure',
        reason: 'asked to fail',
      });
    });

    it('parks work refused for a state of its account: at once, with its failure type', async () => {
      const refused = envelope('payout.sync', 'parked-1', { fail: true, failureType: ACCOUNT_FAILURES.disabled });
      await bench.send('payout-sync', refused);
      const dead = await eventually(
        () => drainDeadLetters('payout-sync'),
        (messages) => messages.length > 0,
      );
      expect(JSON.parse(dead[0]!.Body!).idempotencyKey).toBe(refused.idempotencyKey);
      expect(attributes(dead[0]!)).toMatchObject({ disposition: 'parked', failureType: ACCOUNT_FAILURES.disabled });
      expect(intervals(await bench.executions(), 'parked-1')).toHaveLength(1);
    });

    it('dead-letters a message itself, with the reason, once its budget of failed runs is spent', async () => {
      const failing = envelope('payout.sync', 'fail-1', { failRetryably: true });
      await bench.send('payout-sync', failing);
      const dead = await eventually(
        () => drainDeadLetters('payout-sync'),
        (messages) => messages.length > 0,
      );
      expect(JSON.parse(dead[0]!.Body!).idempotencyKey).toBe(failing.idempotencyKey);
      expect(attributes(dead[0]!)).toMatchObject({
        disposition: 'failed',
        reason: 'asked to fail this run',
        failureType: 'TestFailure',
      });
      const runs = intervals(await bench.executions(), 'fail-1');
      expect(runs).toHaveLength(findQueue('payout-sync').failedRunBudget);
    });
  });
});
