/**
 * One queue's poller: receives messages, validates each envelope, starts one workflow per message
 * and deletes the message only once its workflow has completed.
 *
 * - Invalid messages go to the queue's DLQ at once, with the reason, and are deleted from the queue.
 * - While a workflow runs, the message's visibility is extended so SQS does not hand it out again.
 * - A failed workflow leaves its message undeleted, visible again after a retry delay, so SQS moves it
 *   to the DLQ after maxReceiveCount failed runs.
 * - FIFO: messages of one group (one seller account) run strictly one after another; if one does not
 *   complete, the rest of its group in the batch is released unstarted. Groups run in parallel.
 * - Backpressure: it receives only as many messages as it has room for. If Temporal is unreachable or
 *   throttling (RESOURCE_EXHAUSTED) it releases what it holds, fails nothing and stops receiving
 *   (every receive counts towards SQS's maxReceiveCount) until Temporal takes starts again.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PollerSettings, QueueDefinition } from '../queues/catalogue';
import { createLogger, type Logger } from '../platform/logger';
import { misrouting } from '../queues/routing';
import { parseEnvelope, toCarriableText, type Envelope, type ParseResult } from '../contracts/envelope';
import { DEAD_LETTER_ATTRIBUTES } from '../queues/dead-letter-record';
import { RELEASE_VISIBILITY_SECONDS } from '../queues/sqs-conventions';
import { IGNORE_POLLER_EVENTS, type PollerObserver } from './poller-metrics';
import { isTemporalUnavailable, type WorkflowOutcome } from './workflow-runner';

export interface PollerDependencies {
  sqs: SQSClient;
  queue: QueueDefinition;
  queueUrl: string;
  deadLetterUrl: string;
  /** The queue's physical name, recorded on dead-lettered messages. */
  physicalName: string;
  /** Calls `onStarted` once the workflow runs (started or attached), then waits for its outcome. */
  runWorkflow: (envelope: Envelope, message: Message, onStarted: () => void) => Promise<WorkflowOutcome>;
  isTemporalReachable: () => Promise<boolean>;
  settings?: Partial<PollerSettings>;
  /** Default: JSON lines on stdout at info. */
  log?: Logger;
  /** Called when a message's workflow has completed and the message is deleted (benchmarks). */
  onCompleted?: (envelope: Envelope, message: Message) => void;
  observer?: PollerObserver;
}

type Outcome = 'deleted' | 'retry-later' | 'released';

interface Held {
  message: Message;
  heartbeat: NodeJS.Timeout;
}

const TEMPORAL_PROBE_INTERVAL_MS = 2_000;
/**
 * A dead letter keeps at most this much of its body: plenty to triage, and with the attributes far
 * under every SQS size limit (256 KiB on ElasticMQ and older queues), so even a body that filled
 * its message can be dead-lettered instead of failing the send and coming back forever.
 */
const DEAD_LETTER_BODY_BYTES = 64 * 1024;
/** Longest wait between receives while messages are in flight and the queue looked empty. */
const BUSY_POLL_INTERVAL_MS = 1_000;

export class QueuePoller {
  private readonly settings: Required<PollerSettings>;
  private readonly held = new Map<string, Held>();
  private readonly work = new Set<Promise<void>>();
  private stopping = false;
  private temporalDown = false;
  private completionWaiters: (() => void)[] = [];
  private loop?: Promise<void>;
  private readonly log: Logger;
  private readonly observer: PollerObserver;

  constructor(private readonly deps: PollerDependencies) {
    this.settings = {
      visibilityTimeoutSeconds: deps.queue.visibilityTimeoutSeconds,
      ...deps.queue.poller,
      ...deps.settings,
    };
    this.log = (deps.log ?? createLogger({ level: 'info', role: 'poller' })).child({ queue: deps.physicalName });
    this.observer = deps.observer ?? IGNORE_POLLER_EVENTS;
  }

  /** Runs until stop(); resolves once no receive is under way. */
  run(): Promise<void> {
    this.loop ??= this.receiveLoop();
    return this.loop;
  }

  private async receiveLoop(): Promise<void> {
    while (!this.stopping) {
      if (this.temporalDown) {
        await this.waitForTemporal();
        continue;
      }
      const room = this.settings.concurrency - this.held.size;
      if (room <= 0) {
        await this.nextCompletion();
        continue;
      }
      const messages = await this.receive(Math.min(this.settings.batchSize, room));
      this.observer.received(messages.length);
      if (this.stopping) {
        await this.releaseAll(messages);
        break;
      }
      for (const message of messages) this.hold(message);
      for (const chain of this.chains(messages)) this.track(this.processChain(chain));
      // While work is in flight, a long poll would sit out messages that a completion unblocks
      // (the next message of a FIFO group): poll again as soon as something completes instead.
      if (messages.length === 0 && this.held.size > 0) await this.nextCompletion(BUSY_POLL_INTERVAL_MS);
    }
  }

  /**
   * Stops receiving, waits up to `deadlineMs` for the workflows in flight, then releases whatever is
   * still held (visible again within a second) so no message waits out a full visibility timeout.
   * A receive under way is not aborted (SQS would hide what it had picked for a full visibility
   * timeout); what it brings is released at once.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.notifyCompletion();
    await Promise.race([Promise.allSettled([...this.work]), sleep(deadlineMs)]);
    const remaining = [...this.held.values()].map((held) => held.message);
    await this.releaseAll(remaining);
    if (remaining.length)
      this.log.info({ released: remaining.length }, 'released messages still in flight at shutdown');
    await this.loop;
  }

  private async receive(max: number): Promise<Message[]> {
    try {
      const { Messages = [] } = await this.deps.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.deps.queueUrl,
          MaxNumberOfMessages: max,
          // Long-poll only when idle; see run().
          WaitTimeSeconds: this.held.size > 0 ? 0 : this.settings.waitSeconds,
          VisibilityTimeout: this.settings.visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      return Messages;
    } catch (error) {
      if (this.stopping) return [];
      this.log.warn({ err: error }, 'receive failed, retrying in 1 s');
      await sleep(1_000);
      return [];
    }
  }

  /** Resolves when a held message completes (or after `timeoutMs`, or on stop). */
  private nextCompletion(timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
      this.completionWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private notifyCompletion(): void {
    for (const wake of this.completionWaiters.splice(0)) wake();
  }

  /** FIFO: one chain per message group, in received order. Standard: every message alone. */
  private chains(messages: Message[]): Message[][] {
    if (!this.deps.queue.fifo) return messages.map((message) => [message]);
    const groups = new Map<string, Message[]>();
    for (const message of messages) {
      const group = message.Attributes?.MessageGroupId ?? '';
      groups.set(group, [...(groups.get(group) ?? []), message]);
    }
    return [...groups.values()];
  }

  private async processChain(chain: Message[]): Promise<void> {
    for (const [index, message] of chain.entries()) {
      const outcome = this.stopping || this.temporalDown ? 'released' : await this.process(message);
      if (outcome === 'released') await this.releaseAll([message]);
      if (outcome !== 'deleted') {
        // Later messages of the group must not overtake this one: give them back unstarted.
        await this.releaseAll(chain.slice(index + 1));
        return;
      }
    }
  }

  /** A message's log lines carry its trace id, so one grep follows it from the sweep to the activities. */
  private messageLog(message: Message, envelope?: Envelope): Logger {
    return this.log.child({
      messageId: message.MessageId,
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
      ...(envelope && { traceId: envelope.traceId, type: envelope.type, accountId: envelope.accountId }),
    });
  }

  /** The message's envelope if it is valid and belongs on this queue (and in its FIFO group). */
  private accept(message: Message): ParseResult {
    const parsed = parseEnvelope(message.Body ?? '');
    if (!parsed.ok) return parsed;
    const problem = misrouting(parsed.envelope, this.deps.queue, message.Attributes?.MessageGroupId);
    return problem ? { ok: false, reason: problem } : parsed;
  }

  private async process(message: Message): Promise<Outcome> {
    const parsed = this.accept(message);
    const log = this.messageLog(message, parsed.ok ? parsed.envelope : undefined);
    try {
      if (!parsed.ok) {
        await this.deadLetter(message, parsed.reason, log);
        return 'deleted';
      }
      const outcome = await this.deps.runWorkflow(parsed.envelope, message, () => {
        this.observer.started(message);
        log.info('workflow started');
      });
      this.observer.finished(outcome);
      if (outcome === 'completed') {
        await this.deleteMessage(message);
        this.deps.onCompleted?.(parsed.envelope, message);
        log.info('workflow completed; message deleted');
        return 'deleted';
      }
      log.warn(
        { maxReceiveCount: this.deps.queue.maxReceiveCount, retryInSeconds: this.retryDelaySeconds() },
        'workflow failed; message offered again later',
      );
      await this.setVisibility(message, this.retryDelaySeconds());
      return 'retry-later';
    } catch (error) {
      if (isTemporalUnavailable(error)) {
        if (!this.temporalDown)
          this.log.warn('Temporal is unreachable or throttling: releasing messages and pausing receives');
        this.temporalDown = true;
        return 'released';
      }
      log.warn({ err: error, retryInSeconds: this.retryDelaySeconds() }, 'message failed; retrying later');
      await this.setVisibility(message, this.retryDelaySeconds()).catch(() => undefined);
      return 'retry-later';
    } finally {
      // Done with it either way; a message to give back is released by the caller.
      this.unhold(message);
    }
  }

  private retryDelaySeconds(): number {
    return Math.max(this.settings.retryDelaySeconds, RELEASE_VISIBILITY_SECONDS);
  }

  private async deadLetter(message: Message, reason: string, log: Logger): Promise<void> {
    const group = message.Attributes?.MessageGroupId;
    const { body, cut } = deadLetterBody(message.Body || '(empty)');
    // The reason may quote what it refuses (a field name): SQS would refuse a lone surrogate in it.
    const stated = toCarriableText(`${reason.slice(0, 1_000)}${cut}`);
    await this.deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.deps.deadLetterUrl,
        MessageBody: body,
        MessageAttributes: {
          [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: 'String', StringValue: stated },
          [DEAD_LETTER_ATTRIBUTES.sourceQueue]: { DataType: 'String', StringValue: this.deps.physicalName },
          [DEAD_LETTER_ATTRIBUTES.sourceMessageId]: { DataType: 'String', StringValue: message.MessageId ?? 'unknown' },
        },
        ...(this.deps.queue.fifo
          ? { MessageGroupId: group ?? 'invalid', MessageDeduplicationId: message.MessageId }
          : {}),
      }),
    );
    await this.deleteMessage(message);
    this.observer.deadLettered();
    log.warn({ reason: stated }, 'invalid message moved to the DLQ');
  }

  private hold(message: Message): void {
    const extendEveryMs = (this.settings.visibilityTimeoutSeconds * 1_000) / 3;
    const heartbeat = setInterval(() => {
      this.setVisibility(message, this.settings.visibilityTimeoutSeconds).catch((error: Error) =>
        this.log.warn({ err: error, messageId: message.MessageId }, 'could not extend visibility'),
      );
    }, extendEveryMs);
    heartbeat.unref();
    this.held.set(message.ReceiptHandle!, { message, heartbeat });
  }

  private unhold(message: Message): void {
    const held = this.held.get(message.ReceiptHandle!);
    if (!held) return;
    clearInterval(held.heartbeat);
    this.held.delete(message.ReceiptHandle!);
    this.notifyCompletion();
  }

  private async releaseAll(messages: Message[]): Promise<void> {
    await Promise.all(
      messages.map(async (message) => {
        this.unhold(message);
        await this.setVisibility(message, RELEASE_VISIBILITY_SECONDS).catch(() => undefined);
      }),
    );
  }

  private async deleteMessage(message: Message): Promise<void> {
    await this.deps.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.deps.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  }

  private async setVisibility(message: Message, seconds: number): Promise<void> {
    await this.deps.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.deps.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  private async waitForTemporal(): Promise<void> {
    await sleep(TEMPORAL_PROBE_INTERVAL_MS);
    if (this.held.size === 0 && (await this.deps.isTemporalReachable().catch(() => false))) {
      this.temporalDown = false;
      this.log.info('Temporal answers again: resuming receives');
    }
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch((error: Error) => this.log.error({ err: error }, 'unexpected failure'));
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }
}

/** The body a dead letter carries: whole, or its first DEAD_LETTER_BODY_BYTES and a note saying so. */
function deadLetterBody(body: string): { body: string; cut: string } {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length <= DEAD_LETTER_BODY_BYTES) return { body, cut: '' };
  // A multi-byte character split at the cut decodes to U+FFFD: still text SQS takes.
  return {
    body: bytes.subarray(0, DEAD_LETTER_BODY_BYTES).toString('utf8'),
    cut: ` (body cut to its first ${DEAD_LETTER_BODY_BYTES} of ${bytes.length} bytes)`,
  };
}
