/**
 * SIGTERM to a poller process that holds messages whose workflows outlast its shutdown deadline: it
 * exits within the deadline, gives every held message back (visible again within seconds, not after
 * a retry delay or a visibility timeout), fails nothing and dead-letters nothing; each message was
 * received once, and a new poller completes them all, in order, one run each. Production poller
 * settings (the role's defaults, POLLER_SHUTDOWN_SECONDS 25).
 */
import { failedRuns, groupHeads, ReceiveCounter, sendOrder, startOrder } from '../support/backpressure';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { startRole, type RoleProcess } from '../support/role-process';
import { drainRawQueue, queueIsEmpty, sqsServers } from '../support/sqs';

jest.setTimeout(300_000);

const SHUTDOWN_SECONDS = 25;
/** Longer than the shutdown deadline, so the poller still holds their messages when it gives up waiting. */
const LONG_WORK_MS = (SHUTDOWN_SECONDS + 15) * 1_000;
/** A released message is visible again after RELEASE_VISIBILITY_SECONDS; a few seconds cover the look itself. */
const VISIBLE_AGAIN_WITHIN_MS = 5_000;

describe.each(sqsServers())(
  'SIGTERM to a poller holding messages, on %s',
  (_server, sqsOverrides: NodeJS.ProcessEnv) => {
    let bench: PipelineBench;
    let env: NodeJS.ProcessEnv;
    const pollers: RoleProcess[] = [];

    beforeAll(async () => {
      bench = await pipelineBench(['account'], sqsOverrides);
      env = { ...bench.t.env, POLLER_QUEUES: 'account-sync', POLLER_SHUTDOWN_SECONDS: String(SHUTDOWN_SECONDS) };
    });
    afterAll(async () => {
      for (const poller of pollers) if (poller.child.exitCode === null) poller.child.kill('SIGTERM');
      await Promise.all(pollers.map((poller) => poller.exited));
      await bench?.close();
    });

    function startPoller(): RoleProcess {
      const poller = startRole('poller-worker', env);
      pollers.push(poller);
      return poller;
    }

    it('gives held messages back at once without spending their budget, and loses nothing', async () => {
      const sqs = bench.t.deps.sqs;
      const queueUrl = bench.t.queueUrl('account-sync');
      const dlqUrl = bench.t.queues.find((q) => q.queue.name === 'account-sync')!.dlqUrl;
      const messages = ['term-a', 'term-b', 'term-c'].flatMap((account) => [
        envelope('account.sync', account, { sleepMs: LONG_WORK_MS }),
        envelope('account.sync', account),
        envelope('account.sync', account),
      ]);
      for (const message of messages) await bench.send('account-sync', message);
      const heads = groupHeads(messages);

      const first = startPoller();
      await eventually(
        async () => (await startOrder(bench)).size,
        (accounts) => accounts === heads.length,
        30_000,
      );
      const signalled = Date.now();
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan((SHUTDOWN_SECONDS + 5) * 1_000);

      const counter = new ReceiveCounter(sqs, queueUrl);
      const exited = Date.now();
      const receives = await eventually(
        () => counter.look(),
        (seen) => heads.every((key) => seen.has(key)),
        VISIBLE_AGAIN_WITHIN_MS,
      );
      expect(heads.filter((key) => !receives.has(key))).toEqual([]);
      expect(Date.now() - exited).toBeLessThan(VISIBLE_AGAIN_WITHIN_MS + 3_000);
      // The first poller's receive is all a message spent; its release spent nothing more.
      expect(Math.max(...receives.values())).toBeLessThanOrEqual(1);
      expect(await drainRawQueue(sqs, dlqUrl)).toEqual([]);

      startPoller();
      const expected = sendOrder(messages);
      const order = await eventually(
        () => startOrder(bench),
        (started) => [...expected.keys()].every((account) => started.get(account)?.length === 3),
        120_000,
      );
      // The long runs were attached to, not started again: each key started once, in order.
      expect(order).toEqual(expected);
      expect(await eventually(() => queueIsEmpty(sqs, queueUrl), Boolean, 60_000)).toBe(true);
      expect(await failedRuns(bench.client, `${bench.t.env.TEMPORAL_TASK_QUEUE}.account`)).toEqual([]);
      expect(await drainRawQueue(sqs, dlqUrl)).toEqual([]);
    });
  },
);
