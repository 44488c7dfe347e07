/**
 * One queue's poller: receives messages, validates each envelope, runs one workflow per message and
 * deletes the message only once its workflow has completed (recorded in `completed_work` first).
 *
 * - The poller owns the retry decision (workflow-runner.ts, message-fate.ts): a failed run is run again
 *   after the retry delay until the message's budget of failed runs is spent; then, or at once for a
 *   non-retryable failure or a run an operator terminated or cancelled, it moves the message to the DLQ
 *   itself, with the verdict (QueueMessages.deadLetter). SQS's maxReceiveCount is only a safety net.
 * - Invalid messages go to the DLQ at once, with the reason.
 * - While a message is held, its visibility is extended so SQS does not hand it out again.
 * - FIFO: messages of one group (one seller account) run strictly one after another. A failed message
 *   is run again while the poller keeps holding its chain, so nothing behind it is released ahead of
 *   it or received again meanwhile. Standard: a failed message is given back with the retry delay as
 *   its visibility (any replica may run it next; its failed runs are counted in Temporal).
 * - Backpressure: it receives only as many messages as it has room for. If Temporal is unreachable or
 *   throttling (RESOURCE_EXHAUSTED) it releases what it holds, fails nothing and stops receiving until
 *   Temporal takes starts again. Releases cost nothing: the budget is counted in failed runs, not
 *   receives.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PollerSettings, QueueDefinition } from '../queues/catalogue';
import { createLogger, type Logger } from '../platform/logger';
import { misrouting } from '../queues/routing';
import { parseEnvelope, type Envelope, type ParseResult } from '../contracts/envelope';
import { REPLAY_ATTRIBUTES, type DeadLetterVerdict } from '../queues/dead-letter-record';
import type { QueueMessages } from '../queues/queue-messages';
import { RELEASE_VISIBILITY_SECONDS } from '../queues/sqs-conventions';
import { IGNORE_POLLER_EVENTS, type PollerObserver } from './poller-metrics';
import { isTemporalUnavailable, type RunEvents, type RunRequest, type SettledFate } from './workflow-runner';

export interface PollerDependencies {
  queue: QueueDefinition;
  /** The queue's messages: receive, extend, release, delete, dead-letter. */
  messages: QueueMessages;
  /** The queue's physical name, for its log lines. */
  physicalName: string;
  /** Runs the message's workflow until its fate is settled (workflow-runner.ts). */
  settle: (request: RunRequest, events: RunEvents) => Promise<SettledFate>;
  isTemporalReachable: () => Promise<boolean>;
  settings?: Partial<PollerSettings>;
  /** Default: JSON lines on stdout at info. */
  log?: Logger;
  /** Called when a message's workflow has completed and the message is deleted (benchmarks). */
  onCompleted?: (envelope: Envelope, message: Message) => void;
  observer?: PollerObserver;
}

/** Where a message ended up: gone from the queue, given back for later, or released unstarted. */
type Outcome = 'settled' | 'given-back' | 'released';

interface Held {
  message: Message;
  heartbeat: NodeJS.Timeout;
}

const TEMPORAL_PROBE_INTERVAL_MS = 2_000;
/** Longest wait between receives while messages are in flight and the queue looked empty. */
const BUSY_POLL_INTERVAL_MS = 1_000;

export class QueuePoller {
  private readonly settings: Required<PollerSettings>;
  private readonly held = new Map<string, Held>();
  private readonly work = new Set<Promise<void>>();
  private stopping = false;
  private temporalDown = false;
  private completionWaiters: (() => void)[] = [];
  /** Aborted by stop(): wakes a chain waiting out a retry delay, so it releases what it holds at once. */
  private readonly stopped = new AbortController();
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
    this.stopped.abort();
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
      return await this.deps.messages.receive({
        max,
        // Long-poll only when idle; see run().
        waitSeconds: this.held.size > 0 ? 0 : this.settings.waitSeconds,
        visibilitySeconds: this.settings.visibilityTimeoutSeconds,
      });
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
      if ((await this.settleMessage(message)) === 'released') {
        // Later messages of the group must not overtake this one: give them back unstarted.
        await this.releaseAll(chain.slice(index));
        return;
      }
    }
  }

  /**
   * Runs a message until it is settled. FIFO: a failed run is retried here, after the retry delay,
   * while the chain behind it stays held. Standard: it is given back with the delay as visibility.
   */
  private async settleMessage(message: Message): Promise<Outcome> {
    for (;;) {
      if (this.stopping || this.temporalDown) return 'released';
      const step = await this.process(message);
      if (step === 'settled' || step === 'released') return step;
      if (!this.deps.queue.fifo) {
        await this.giveBack(message, step.retryAfterMs);
        return 'given-back';
      }
      await sleep(step.retryAfterMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
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

  /** One pass: the message is settled (deleted or dead-lettered), released, or due to run again later. */
  private async process(message: Message): Promise<Exclude<Outcome, 'given-back'> | { retryAfterMs: number }> {
    const parsed = this.accept(message);
    const log = this.messageLog(message, parsed.ok ? parsed.envelope : undefined);
    try {
      if (!parsed.ok) return await this.deadLetter(message, { disposition: 'invalid', reason: parsed.reason }, log);
      const fate = await this.deps.settle(this.runRequest(parsed.envelope, message), {
        started: () => {
          this.observer.started(message);
          log.info('workflow started');
        },
        finished: (outcome) => this.observer.finished(outcome),
      });
      if (fate.kind === 'dead-letter') return await this.deadLetter(message, fate.verdict, log);
      if (fate.kind === 'retry') {
        log.warn({ retryInSeconds: Math.ceil(fate.afterMs / 1_000) }, 'workflow failed; running it again later');
        return { retryAfterMs: fate.afterMs };
      }
      await this.deps.messages.delete(message);
      this.unhold(message);
      this.deps.onCompleted?.(parsed.envelope, message);
      log.info('workflow completed; message deleted');
      return 'settled';
    } catch (error) {
      if (isTemporalUnavailable(error)) {
        if (!this.temporalDown)
          this.log.warn('Temporal is unreachable or throttling: releasing messages and pausing receives');
        this.temporalDown = true;
        return 'released';
      }
      // Shutting down, a call cut short is not the message's failure: give it back at once.
      if (this.stopping) return 'released';
      log.warn({ err: error, retryInSeconds: this.settings.retryDelaySeconds }, 'message failed; retrying later');
      return { retryAfterMs: this.settings.retryDelaySeconds * 1_000 };
    }
  }

  private runRequest(envelope: Envelope, message: Message): RunRequest {
    return { envelope, sqsMessageId: message.MessageId ?? 'unknown', replayedAt: replayedAt(message) };
  }

  private async deadLetter(message: Message, verdict: DeadLetterVerdict, log: Logger): Promise<'settled'> {
    await this.deps.messages.deadLetter(message, verdict);
    this.unhold(message);
    this.observer.deadLettered();
    log.warn({ ...verdict }, `${verdict.disposition} message moved to the DLQ`);
    return 'settled';
  }

  /** Standard queues: the message comes back after the retry delay, to whichever replica receives it. */
  private async giveBack(message: Message, afterMs: number): Promise<void> {
    this.unhold(message);
    const seconds = Math.max(RELEASE_VISIBILITY_SECONDS, Math.ceil(afterMs / 1_000));
    await this.deps.messages.extend(message, seconds).catch(() => undefined);
  }

  private hold(message: Message): void {
    const extendEveryMs = (this.settings.visibilityTimeoutSeconds * 1_000) / 3;
    const heartbeat = setInterval(() => {
      this.deps.messages
        .extend(message, this.settings.visibilityTimeoutSeconds)
        .catch((error: Error) =>
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
        await this.deps.messages.release(message);
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

/**
 * When the message was replayed from the DLQ, if it was: never later than SQS accepted it, so a clock
 * ahead of Temporal's cannot make the runs of the replay itself look older than the replay.
 */
function replayedAt(message: Message): Date | undefined {
  const stamped = Date.parse(message.MessageAttributes?.[REPLAY_ATTRIBUTES.replayedAt]?.StringValue ?? '');
  if (!Number.isFinite(stamped)) return undefined;
  const sent = Number(message.Attributes?.SentTimestamp);
  return new Date(Number.isFinite(sent) && sent > 0 ? Math.min(stamped, sent) : stamped);
}
