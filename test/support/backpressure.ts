/**
 * What the backpressure tests look at from outside the poller: how often SQS handed each message out
 * while the pollers should be paused, Temporal's failed runs, and the order the workflows recorded.
 */
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import { parseEnvelope, type Envelope } from '../../src/contracts/envelope';
import { setTimeout as sleep } from 'node:timers/promises';
import { RELEASE_VISIBILITY_SECONDS } from '../../src/queues/sqs-conventions';
import { eventually, type PipelineBench } from './pipeline';
import { drainRawQueue, queueIsEmpty } from './sqs';

/**
 * Long enough for a poller that did not pause to receive a given-back message again: it is visible
 * again a second after its release, and a poller that is not paused receives at least every 20 s
 * (its long poll).
 */
export const PAUSE_OBSERVED_MS = 45_000;

/**
 * Reads how many times the pollers received each message (SQS's ApproximateReceiveCount), keyed by
 * idempotency key. SQS tells a message's count only by receiving it, so the counter subtracts its own
 * receives. A look holds what it sees until it has seen everything visible, then gives it all back.
 * A FIFO group shows only what SQS hands out while nothing of the group is in flight: its first
 * message (fauxqs), or several (ElasticMQ); those are the messages the pollers receive too.
 */
export class ReceiveCounter {
  private readonly ownReceives = new Map<string, number>();
  /** What the last look gave back is visible again from then on. */
  private visibleAgainAt = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** The pollers' receives of every message visible now. */
  async look(): Promise<Map<string, number>> {
    await sleep(Math.max(0, this.visibleAgainAt - Date.now()));
    const seen = await this.receiveAllVisible();
    const counts = new Map<string, number>();
    for (const message of seen) {
      const key = idempotencyKey(message);
      const own = (this.ownReceives.get(key) ?? 0) + 1;
      this.ownReceives.set(key, own);
      counts.set(key, Number(message.Attributes!.ApproximateReceiveCount) - own);
    }
    await Promise.all(seen.map((message) => this.giveBack(message)));
    this.visibleAgainAt = Date.now() + (RELEASE_VISIBILITY_SECONDS + 1) * 1_000;
    return counts;
  }

  private async receiveAllVisible(): Promise<Message[]> {
    const seen: Message[] = [];
    for (let empty = 0; empty < 2;) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          // Held for the whole look; no long poll (a queue's default may be 20 s).
          VisibilityTimeout: 30,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      empty = Messages.length ? 0 : empty + 1;
      seen.push(...Messages);
    }
    return seen;
  }

  private async giveBack({ ReceiptHandle }: Message): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle,
        VisibilityTimeout: RELEASE_VISIBILITY_SECONDS,
      }),
    );
  }
}

function idempotencyKey(message: Message): string {
  const parsed = parseEnvelope(message.Body ?? '');
  if (!parsed.ok) throw new Error(`invalid message ${message.MessageId}: ${parsed.reason}`);
  return parsed.envelope.idempotencyKey;
}

/**
 * Waits `pauseAfterMs` (looking earlier would take messages from under pollers that have yet to
 * receive them), then until the pollers have given back every group's head (within `releaseWithinMs`), then
 * checks that over PAUSE_OBSERVED_MS they receive none of what is visible, and that no message was
 * received more than `maxPollerReceives` times. Resolves with the pollers' receives per message.
 */
export async function expectPausedWithoutReceives(
  counter: ReceiveCounter,
  heads: string[],
  { pauseAfterMs, releaseWithinMs }: { pauseAfterMs: number; releaseWithinMs: number },
  maxPollerReceives: number,
): Promise<Map<string, number>> {
  await sleep(pauseAfterMs);
  const atRelease = await eventually(
    () => counter.look(),
    (seen) => heads.every((key) => seen.has(key)),
    releaseWithinMs,
  );
  expect(heads.filter((key) => !atRelease.has(key))).toEqual([]);
  await sleep(PAUSE_OBSERVED_MS);
  const afterPause = await counter.look();
  expect(heads.filter((key) => !afterPause.has(key))).toEqual([]);
  // A look sees at most ten of a FIFO queue's messages at once, not always the same ones.
  const seenTwice = [...afterPause.keys()].filter((key) => atRelease.has(key));
  expect(seenTwice.map((key) => [key, afterPause.get(key)])).toEqual(seenTwice.map((key) => [key, atRelease.get(key)]));
  expect(Math.max(...afterPause.values())).toBeLessThanOrEqual(maxPollerReceives);
  return afterPause;
}

/** The first message of each account: a FIFO queue always shows it while nothing of its group is held. */
export function groupHeads(messages: Envelope[]): string[] {
  return [...sendOrder(messages).values()].map((keys) => keys[0]!);
}

/** Runs on a task queue that ended in failure, from Temporal's visibility store. */
export async function failedRuns(client: Client, taskQueue: string): Promise<string[]> {
  const failed: string[] = [];
  for await (const run of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Failed'` }))
    failed.push(run.workflowId);
  return failed;
}

/** Each account's idempotency keys in the order its workflows started, from the workflows' record. */
export async function startOrder(bench: PipelineBench): Promise<Map<string, string[]>> {
  const order = new Map<string, string[]>();
  for (const row of await bench.executions()) {
    if (row.phase !== 'start') continue;
    order.set(row.account_id, [...(order.get(row.account_id) ?? []), row.idempotency_key]);
  }
  return order;
}

/** Each account's idempotency keys in the order they were sent. */
export function sendOrder(messages: Envelope[]): Map<string, string[]> {
  const order = new Map<string, string[]>();
  for (const message of messages)
    order.set(message.accountId, [...(order.get(message.accountId) ?? []), message.idempotencyKey]);
  return order;
}

/**
 * Once the pollers may start work again: every message ran, each account's in the order sent, the
 * queue emptied, and no run failed and nothing was dead-lettered along the way.
 */
export async function expectAllRanInOrderUnharmed(bench: PipelineBench, messages: Envelope[]): Promise<void> {
  const sqs = bench.t.deps.sqs;
  const expected = sendOrder(messages);
  const order = await eventually(
    () => startOrder(bench),
    (started) =>
      [...expected.keys()].every((account) => started.get(account)?.length === expected.get(account)!.length),
    120_000,
  );
  expect(order).toEqual(expected);
  expect(await eventually(() => queueIsEmpty(sqs, bench.t.queueUrl('account-sync')), Boolean, 30_000)).toBe(true);
  expect(await failedRuns(bench.client, `${bench.t.env.TEMPORAL_TASK_QUEUE}.account`)).toEqual([]);
  const dlqUrl = bench.t.queues.find((q) => q.queue.name === 'account-sync')!.dlqUrl;
  expect(await drainRawQueue(sqs, dlqUrl)).toEqual([]);
}
