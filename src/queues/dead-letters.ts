/**
 * Dead-letter operations for SREs (`npm run dlq`): counts, the list of what is in a DLQ and why,
 * replay to the source queue in the letters' original order, and purge.
 *
 * PostgreSQL's `dead_letters` is the list (SQS hides a FIFO group's later letters while an earlier one
 * is in flight); the DLQ's SQS copies are only read to find letters SQS's own redrive moved without a
 * record, and deleted once their letter is settled (replayed, set aside, already completed).
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import { parseEnvelope } from '../contracts/envelope';
import { legacyWorkflowIdFor, workflowIdFor } from '../contracts/workflows';
import { accountsThatCannotRun } from '../db/accounts';
import { QUEUES, type QueueDefinition } from './catalogue';
import {
  REPLAY_ATTRIBUTES,
  countDeadLetters,
  deadLetterStates,
  fromDeadLetterMessage,
  listDeadLetters,
  markDeadLettersPurged,
  recordFoundDeadLetter,
  setDeadLetterState,
  type DeadLetterState,
  type ListedDeadLetter,
} from './dead-letter-record';
import type { QueueMessages } from './queue-messages';
import type { QueueDepth, QueueDirectory } from './queue-urls';

/** One queue's DLQ as the command sees it: its SQS copies, its records, and its source queue. */
export interface DeadLetterQueue {
  messages: QueueMessages;
  pool: Pool;
  directory: QueueDirectory;
}

/**
 * Copies received while the command works stay hidden this long from other readers; it hands them
 * back when it ends. A command that dies holding them leaves them hidden for this long at most.
 */
export const DEAD_LETTER_HOLD_SECONDS = 30;

interface SyncOptions {
  /** Record letters found without a record (SQS's redrive moved them). */
  record: boolean;
  /** Delete copies whose letter is settled already (left behind by an interrupted replay). */
  deleteLeftovers: boolean;
}

interface SyncResult {
  /** Letters found in SQS without a record. */
  found: ListedDeadLetter[];
  /** Copies of settled letters seen (and deleted, when asked). */
  leftovers: number;
}

/**
 * The DLQ's SQS copies this command holds. A FIFO DLQ shows a group's next copy only once the one
 * before it is deleted, so a scan reaches as far as settled copies let it.
 */
class DeadLetterCopies {
  private readonly held = new Map<string, { message: Message; letter: ListedDeadLetter }>();

  constructor(private readonly dlq: DeadLetterQueue) {}

  private get queue(): QueueDefinition {
    return this.dlq.messages.endpoints.queue;
  }

  private get url(): string {
    return this.dlq.messages.endpoints.deadLetterUrl;
  }

  /** Reads the copies SQS shows now (and those behind deleted leftovers), checking each against its record. */
  async sync(options: SyncOptions): Promise<SyncResult> {
    const result: SyncResult = { found: [], leftovers: 0 };
    // What it holds already may have been settled since; then whatever SQS shows, until nothing new.
    await this.check([...this.held.values()], options, result);
    for (let batch = await this.receiveNew(); batch.length > 0; batch = await this.receiveNew()) {
      await this.check(batch, options, result);
    }
    return result;
  }

  private async check(
    batch: { message: Message; letter: ListedDeadLetter }[],
    options: SyncOptions,
    result: SyncResult,
  ): Promise<void> {
    if (batch.length === 0) return;
    const ids = batch.map(({ letter }) => letter.sourceMessageId);
    const states = await deadLetterStates(this.dlq.pool, this.queue.name, ids);
    for (const { message, letter } of batch) {
      const state = states.get(letter.sourceMessageId);
      if (!state) {
        if (options.record) await recordFoundDeadLetter(this.dlq.pool, letter);
        result.found.push(letter);
      } else if (state !== 'in_dlq') {
        result.leftovers += 1;
        if (options.deleteLeftovers) {
          await this.dlq.messages.delete(message, this.url);
          this.held.delete(letter.sourceMessageId);
        }
      }
    }
  }

  /** One receive; the copies it brings that this command did not hold yet. */
  private async receiveNew(): Promise<{ message: Message; letter: ListedDeadLetter }[]> {
    const messages = await this.dlq.messages.receive(
      { max: 10, waitSeconds: 1, visibilitySeconds: DEAD_LETTER_HOLD_SECONDS },
      this.url,
    );
    const fresh = [];
    for (const message of messages) {
      const letter = fromDeadLetterMessage(this.queue.name, message);
      const known = this.held.has(letter.sourceMessageId);
      // Received again (its hold ran out): only the newest receipt handle deletes it.
      this.held.set(letter.sourceMessageId, { message, letter });
      if (!known) fresh.push({ message, letter });
    }
    return fresh;
  }

  async release(): Promise<void> {
    await Promise.all([...this.held.values()].map(({ message }) => this.dlq.messages.release(message, this.url)));
    this.held.clear();
  }
}

async function withCopies<T>(dlq: DeadLetterQueue, work: (copies: DeadLetterCopies) => Promise<T>): Promise<T> {
  const copies = new DeadLetterCopies(dlq);
  try {
    return await work(copies);
  } finally {
    await copies.release();
  }
}

const OPEN: readonly DeadLetterState[] = ['in_dlq'];

export interface PeekResult {
  /** SQS's counts of the DLQ, read before the look. */
  sqs: QueueDepth;
  /** Letters in the DLQ, by group, oldest first. */
  letters: ListedDeadLetter[];
  /** Letters set aside: kept in PostgreSQL, no longer in SQS. */
  setAside: ListedDeadLetter[];
  /** Letters SQS moved without a record, recorded by this look. */
  found: number;
  /** SQS copies of letters already settled, seen by this look. */
  leftovers: number;
}

/** Every letter of a queue's DLQ; letters SQS's redrive moved without a record are recorded as they come into view. */
export async function peekDeadLetters(dlq: DeadLetterQueue, accountId?: string): Promise<PeekResult> {
  const sqs = await dlq.directory.depth(dlq.messages.endpoints.deadLetterUrl);
  const { found, leftovers } = await withCopies(dlq, (copies) => copies.sync({ record: true, deleteLeftovers: false }));
  const name = dlq.messages.endpoints.queue.name;
  const [letters, setAside] = await Promise.all([
    listDeadLetters(dlq.pool, name, { accountId, states: OPEN }),
    listDeadLetters(dlq.pool, name, { accountId, states: ['set_aside'] }),
  ]);
  return { sqs, letters, setAside, found: found.length, leftovers };
}

export type ReplayStep = 'replay' | 'already-completed' | 'set-aside' | 'wait';

export interface PlannedLetter {
  letter: ListedDeadLetter;
  step: ReplayStep;
  /** Why it waits or is set aside. */
  why?: string;
}

export interface ReplayReport {
  dryRun: boolean;
  /** The source queue's counts when the replay began: its letters run after what waits there. */
  source: QueueDepth;
  plan: PlannedLetter[];
  /** Letters SQS moved without a record that came into view after the replay: replay again for them. */
  foundAfter: number;
  /** Copies of already settled letters (an interrupted replay's) deleted from the DLQ. */
  leftoversDeleted: number;
}

/** The deduplication id of a letter's replay: the same for every attempt, so a re-run after a crash is dropped. */
export function replayDeduplicationId(letter: ListedDeadLetter): string {
  return `replay:${letter.sourceMessageId}`;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

export function replayAttributes(letter: ListedDeadLetter, now: Date): Record<string, MessageAttributeValue> {
  return {
    [REPLAY_ATTRIBUTES.replayOf]: text(letter.sourceMessageId),
    [REPLAY_ATTRIBUTES.replayedAt]: text(now.toISOString()),
  };
}

async function completedWorkflowIds(pool: Pool, workflowIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await pool.query<{ workflow_id: string }>(
    'SELECT workflow_id FROM completed_work WHERE workflow_id = ANY($1)',
    [workflowIds],
  );
  return new Set(rows.map((row) => row.workflow_id));
}

/**
 * The ids a letter's work may have been completed under: the one recorded with it, and its envelope's
 * workflow id and the id it had before ids dropped their repetition (a letter recorded before the
 * change may have been completed under the new id since, or the other way round).
 */
function completionIds(letter: ListedDeadLetter): string[] {
  const parsed = parseEnvelope(letter.body);
  const fromEnvelope = parsed.ok ? [workflowIdFor(parsed.envelope), legacyWorkflowIdFor(parsed.envelope)] : [];
  return [letter.workflowId, ...fromEnvelope].filter((id): id is string => id !== undefined);
}

const ACCOUNT_STATES = {
  unknown: 'does not exist',
  disabled: 'still disabled',
  needs_reauth: 'still needs re-authorisation',
};

/**
 * What a replay does with each letter, in order. In a FIFO group, a letter that must wait (parked, its
 * account not servable yet) holds every later letter of the group behind it, so none overtakes it.
 */
export async function planReplay(
  pool: Pool,
  queue: QueueDefinition,
  letters: readonly ListedDeadLetter[],
): Promise<PlannedLetter[]> {
  const completed = await completedWorkflowIds(pool, letters.flatMap(completionIds));
  const parkedAccounts = letters.flatMap((l) => (l.disposition === 'parked' && l.accountId ? [l.accountId] : []));
  const unable = await accountsThatCannotRun(pool, [...new Set(parkedAccounts)]);
  const waitingGroups = new Map<string, string>();
  return letters.map((letter) => {
    const group = letter.groupId ?? '';
    const blocker = queue.fifo ? waitingGroups.get(group) : undefined;
    if (blocker) return { letter, step: 'wait', why: `behind ${blocker} of its group, which waits` };
    const planned = stepFor(letter, completed, unable);
    if (planned.step === 'wait') waitingGroups.set(group, letter.sourceMessageId);
    return planned;
  });
}

function stepFor(
  letter: ListedDeadLetter,
  completed: Set<string>,
  unable: Map<string, keyof typeof ACCOUNT_STATES>,
): PlannedLetter {
  const parsed = parseEnvelope(letter.body);
  if (letter.disposition === 'invalid' || !parsed.ok) {
    return {
      letter,
      step: 'set-aside',
      why: letter.disposition === 'invalid' || parsed.ok ? letter.reason : parsed.reason,
    };
  }
  if (completionIds(letter).some((id) => completed.has(id))) return { letter, step: 'already-completed' };
  const standing = letter.disposition === 'parked' && letter.accountId ? unable.get(letter.accountId) : undefined;
  if (standing) return { letter, step: 'wait', why: `account ${letter.accountId} ${ACCOUNT_STATES[standing]}` };
  return { letter, step: 'replay' };
}

/**
 * Sends the queue's dead letters back to their source queue in their original order (a FIFO group's
 * by its source sequence numbers), each in its group, with REPLAY_ATTRIBUTES and a deduplication id
 * of its own that every attempt shares; sets invalid ones aside; marks letters whose work completed
 * as settled without sending them; leaves parked letters of accounts that cannot be served yet (and
 * what follows them in their group). Each letter's record is settled right after its send, and its
 * SQS copy deleted after that. `dryRun`: the plan, and nothing sent, recorded or deleted.
 */
export async function replayDeadLetters(
  dlq: DeadLetterQueue,
  { accountId, dryRun = false, now = () => new Date() }: { accountId?: string; dryRun?: boolean; now?: () => Date },
): Promise<ReplayReport> {
  const { queue, url } = dlq.messages.endpoints;
  return withCopies(dlq, async (copies) => {
    const before = await copies.sync({ record: !dryRun, deleteLeftovers: !dryRun });
    const recorded = await listDeadLetters(dlq.pool, queue.name, { accountId, states: OPEN });
    const letters = dryRun ? inOrder([...recorded, ...forAccount(before.found, accountId)]) : recorded;
    const plan = await planReplay(dlq.pool, queue, letters);
    const source = await dlq.directory.depth(url);
    if (dryRun) return { dryRun, source, plan, foundAfter: 0, leftoversDeleted: 0 };
    for (const planned of plan) await carryOut(dlq, planned, now());
    // Deletes the copies of what this run settled, and reaches the copies behind them.
    const after = await copies.sync({ record: true, deleteLeftovers: true });
    return {
      dryRun,
      source,
      plan,
      foundAfter: forAccount(after.found, accountId).length,
      leftoversDeleted: before.leftovers,
    };
  });
}

async function carryOut(dlq: DeadLetterQueue, { letter, step }: PlannedLetter, now: Date): Promise<void> {
  const { messages, pool } = dlq;
  const { queue, url } = messages.endpoints;
  const settle = (state: DeadLetterState) => setDeadLetterState(pool, queue.name, [letter.sourceMessageId], state);
  switch (step) {
    case 'replay': {
      const groupId = letter.groupId ?? letter.accountId ?? 'replayed';
      const fifo = queue.fifo ? { groupId, deduplicationId: replayDeduplicationId(letter) } : undefined;
      await messages.send(url, letter.body, fifo, replayAttributes(letter, now));
      return settle('replayed');
    }
    case 'already-completed':
      return settle('replayed');
    case 'set-aside':
      return settle('set_aside');
    case 'wait':
      return;
  }
}

function forAccount(letters: ListedDeadLetter[], accountId?: string): ListedDeadLetter[] {
  const named = (l: ListedDeadLetter) =>
    l.accountId === accountId || l.sellerId === accountId || l.groupId === accountId;
  return accountId ? letters.filter(named) : letters;
}

/** As listDeadLetters orders them: by group, then source sequence number (numerically), then dead-lettered time. */
function inOrder(letters: ListedDeadLetter[]): ListedDeadLetter[] {
  const sequence = (l: ListedDeadLetter) => (l.sourceSequence ? BigInt(l.sourceSequence) : undefined);
  return [...letters].sort((a, b) => {
    if ((a.groupId ?? '') !== (b.groupId ?? '')) return (a.groupId ?? '') < (b.groupId ?? '') ? -1 : 1;
    const [x, y] = [sequence(a), sequence(b)];
    if (x !== undefined && y !== undefined && x !== y) return x < y ? -1 : 1;
    return a.deadLetteredAt.getTime() - b.deadLetteredAt.getTime();
  });
}

/** Empties a queue's DLQ in SQS and marks its open records purged (set-aside letters stay kept). */
export async function purgeDeadLetters(dlq: DeadLetterQueue): Promise<number> {
  await dlq.messages.purge(dlq.messages.endpoints.deadLetterUrl);
  return markDeadLettersPurged(dlq.pool, dlq.messages.endpoints.queue.name);
}

export interface DeadLetterQueueCounts {
  queue: string;
  /** SQS's counts of the DLQ. */
  visible: number;
  inFlight: number;
  /** Records still in the DLQ, by disposition. */
  failed: number;
  parked: number;
  stopped: number;
  cancelled: number;
  invalid: number;
  /** Records by what became of them. */
  setAside: number;
  replayed: number;
  purged: number;
}

export async function deadLetterCounts(directory: QueueDirectory, pool: Pool): Promise<DeadLetterQueueCounts[]> {
  const records = await countDeadLetters(pool);
  return Promise.all(
    QUEUES.map(async (queue) => {
      const { visible, inFlight } = await directory.depth(await directory.deadLetterUrl(queue));
      const mine = records.filter((row) => row.sourceQueue === queue.name);
      const sum = (match: (row: (typeof records)[number]) => boolean) =>
        mine.filter(match).reduce((total, row) => total + row.count, 0);
      const open = (disposition: string) => sum((row) => row.state === 'in_dlq' && row.disposition === disposition);
      return {
        queue: queue.name,
        visible,
        inFlight,
        failed: open('failed'),
        parked: open('parked'),
        stopped: open('stopped'),
        cancelled: open('cancelled'),
        invalid: open('invalid'),
        setAside: sum((row) => row.state === 'set_aside'),
        replayed: sum((row) => row.state === 'replayed'),
        purged: sum((row) => row.state === 'purged'),
      };
    }),
  );
}
