/**
 * `npm run dlq -- list | peek <queue> | replay <queue> | purge <queue>`: the dead letters of a queue
 * (`<queue>` is the logical name, e.g. account-sync), read from PostgreSQL's record and the DLQ.
 * `help`, `--help` or `-h` prints the usage.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { readArguments, runCommand } from './command';
import {
  deadLetterCounts,
  peekDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  type DeadLetterQueue,
  type PeekResult,
  type PlannedLetter,
  type ReplayReport,
} from '../queues/dead-letters';
import type { ListedDeadLetter } from '../queues/dead-letter-record';
import { QUEUES, deadLetterQueueName, findQueue, queueName, type QueueDefinition } from '../queues/catalogue';
import { QueueDirectory } from '../queues/queue-urls';
import { QueueMessages } from '../queues/queue-messages';
import { attentionSummary, type AttentionSummary } from '../db/attention';
import { createPool } from '../db/pool';
import { createSqsClient } from '../platform/sqs-client';
import { postgresServer, requireServers, sqsServer } from '../platform/startup-checks';
import { FatalError } from '../platform/main';

const USAGE =
  'usage: npm run dlq -- list | peek <queue> [--account ID | --seller ID] [--max N] | ' +
  'replay <queue> [--account ID | --seller ID] [--dry-run] | ' +
  `purge <queue> [--yes] | help  (queues: ${QUEUES.map((q) => q.name).join(', ')})`;

/** The options each action takes; any other is refused. */
const ACTIONS: Record<string, readonly string[]> = {
  list: [],
  peek: ['account', 'seller', 'max'],
  replay: ['account', 'seller', 'dry-run'],
  purge: ['yes'],
};

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/** An unknown option is the operator's typo: one line saying so and how to call, not a stack trace. */
function commandLine() {
  return readArguments(USAGE, () =>
    parseArgs({
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        yes: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        max: { type: 'string' },
        account: { type: 'string' },
        seller: { type: 'string' },
      },
    }),
  );
}

/**
 * The one id `--account` or `--seller` names. Either matches a letter of that account, of that seller
 * (inventory work names its seller) or in that FIFO group, since ids are spelled alike.
 */
function accountOrSeller({ account, seller }: { account?: string; seller?: string }): string | undefined {
  if (account !== undefined && seller !== undefined)
    throw new FatalError(`give --account or --seller, not both; ${USAGE}`);
  const [option, id] = seller === undefined ? ['account', account] : ['seller', seller];
  if (id !== undefined && !ACCOUNT_ID.test(id)) {
    throw new FatalError(
      `--${option} takes ${option === 'account' ? 'an account' : 'a seller'} id (letters, digits, _ and -); ${USAGE}`,
    );
  }
  return id;
}

interface Request {
  action: string;
  queue?: QueueDefinition;
  max: number;
  account?: string;
  dryRun: boolean;
  yes: boolean;
}

/** The request the command line makes, or undefined for help; every mistake is one line. */
function request(): Request | undefined {
  const { positionals, values } = commandLine();
  const [action, queueArg, ...extra] = positionals;
  if (values.help || action === 'help') return undefined;
  if (!action || !(action in ACTIONS) || extra.length > 0) throw new FatalError(USAGE);
  if ((action === 'list') !== (queueArg === undefined)) throw new FatalError(USAGE);
  const given = Object.entries(values).filter(
    ([name, value]) => name !== 'help' && value !== undefined && value !== false,
  );
  const stray = given.find(([name]) => !ACTIONS[action]!.includes(name));
  if (stray) throw new FatalError(`--${stray[0]} does not apply to ${action}; ${USAGE}`);
  const max = values.max === undefined ? Infinity : Number(values.max);
  if (!(max === Infinity || (Number.isInteger(max) && max >= 1))) throw new FatalError(USAGE);
  return {
    action,
    queue: queueArg === undefined ? undefined : findQueueOrFail(queueArg),
    max,
    account: accountOrSeller(values),
    dryRun: values['dry-run'],
    yes: values.yes,
  };
}

runCommand(USAGE, request, async (asked, config) => {
  const sqs = createSqsClient(config);
  const pool = createPool(config, { max: 2 });
  try {
    await requireServers([postgresServer(pool), sqsServer(sqs)]);
    const directory = new QueueDirectory(sqs, config.queues.prefix);
    if (asked.action === 'list') {
      console.table(await deadLetterCounts(directory, pool));
      printAttention(await attentionSummary(pool));
      return;
    }
    const queue = asked.queue!;
    const endpoints = { queue, url: await directory.url(queue), deadLetterUrl: await directory.deadLetterUrl(queue) };
    const dlq: DeadLetterQueue = { messages: new QueueMessages(sqs, endpoints, pool), pool, directory };
    const names = {
      dlq: deadLetterQueueName(queue, config.queues.prefix),
      source: queueName(queue, config.queues.prefix),
    };
    await ACTION_RUNNERS[asked.action]!(dlq, asked, names);
  } finally {
    sqs.destroy();
    await pool.end();
  }
});

/**
 * Dispatch work that never reached a queue and waits for a person (docs/operations.md#claims): it has
 * no dead letter, so `list` names it beside the DLQs.
 */
function printAttention({ claims, schedules }: AttentionSummary): void {
  console.log(`${claims.length} claim(s) and ${schedules.length} schedule(s) flagged for attention`);
  for (const claim of claims) {
    console.log(
      `  claim ${claim.idempotencyKey}  ${claim.queue}  account ${claim.accountId}  unsent since ` +
        `${claim.claimedAt.toISOString()}  ${claim.attempts} attempt(s): ${claim.reason ?? claim.lastError ?? ''}`,
    );
  }
  for (const schedule of schedules) {
    console.log(`  schedule ${schedule.id}  ${schedule.kind}  account ${schedule.accountId}: ${schedule.reason ?? ''}`);
  }
}

type Names = { dlq: string; source: string };

const ACTION_RUNNERS: Record<string, (dlq: DeadLetterQueue, asked: Request, names: Names) => Promise<void>> = {
  peek: async (dlq, asked, names) => printPeek(await peekDeadLetters(dlq, asked.account), asked, names.dlq),
  replay: async (dlq, asked, names) =>
    printReplay(await replayDeadLetters(dlq, { accountId: asked.account, dryRun: asked.dryRun }), dlq, names),
  purge: async (dlq, asked, names) => {
    if (!asked.yes && !(await confirmed(`Delete every message in ${names.dlq}?`))) {
      throw new FatalError(`not purged: confirm at the prompt or pass --yes`);
    }
    const records = await purgeDeadLetters(dlq);
    console.log(`purged ${names.dlq}; ${records} record(s) marked purged`);
  },
};

/** What a letter is about: its type, account and idempotency key, or why its body is not an envelope. */
function summary(letter: ListedDeadLetter): string {
  if (letter.messageType) return `${letter.messageType} ${letter.accountId} ${letter.idempotencyKey}`;
  return `(not an envelope) body: ${JSON.stringify(letter.body.slice(0, 60))}`;
}

function letterLine(letter: ListedDeadLetter): string {
  const sequence = letter.sourceSequence ? ` #${letter.sourceSequence}` : '';
  return (
    `${letter.sourceMessageId}${sequence}  ${letter.disposition}  ${letter.failureType ?? '-'}  ${summary(letter)}  ` +
    `dead-lettered ${letter.deadLetteredAt.toISOString()}\n      reason: ${letter.reason}`
  );
}

function byGroup<T>(items: readonly T[], groupOf: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groupOf(item) ?? '(no group)';
    groups.set(group, [...(groups.get(group) ?? []), item]);
  }
  return groups;
}

function printPeek(result: PeekResult, asked: Request, dlqName: string): void {
  const { sqs, letters, setAside } = result;
  const inSqs = sqs.visible + sqs.inFlight;
  console.log(
    `${dlqName}: SQS counts ${inSqs} (${sqs.visible} visible, ${sqs.inFlight} in flight); ` +
      `${letters.length} letter(s) listed in the DLQ${asked.account ? ` for ${asked.account}` : ''}, ${setAside.length} set aside`,
  );
  let shown = 0;
  for (const [group, members] of byGroup(letters, (l) => l.groupId)) {
    console.log(`group ${group}: ${members.length} letter(s)`);
    for (const letter of members.slice(0, Math.max(0, asked.max - shown))) console.log(`  ${letterLine(letter)}`);
    shown += members.length;
  }
  if (letters.length > asked.max) console.log(`(${letters.length - asked.max} more not shown: --max ${asked.max})`);
  if (setAside.length) console.log('set aside (kept in PostgreSQL, removed from SQS; not replayed):');
  for (const letter of setAside) console.log(`  ${letterLine(letter)}`);
  if (result.found) console.log(`recorded ${result.found} letter(s) that SQS's redrive moved without a record`);
  if (!asked.account) console.log(countsExplained(inSqs, letters.length, result.leftovers));
}

function countsExplained(inSqs: number, listed: number, leftovers: number): string {
  if (inSqs === listed) return 'counts match: every letter in SQS is listed';
  if (inSqs > listed) {
    return (
      `${inSqs - listed} more in SQS than listed: ${leftovers} seen are copies of letters already replayed or set ` +
      'aside (an interrupted replay left them; the next replay deletes them); any others were moved by SQS without a ' +
      'record and are not in view yet (behind an earlier letter of their FIFO group, or held by another reader): ' +
      'they are recorded and listed once in view'
    );
  }
  return (
    `${listed - inSqs} listed letter(s) have no copy in SQS: dropped after the DLQ's 14-day retention, purged ` +
    'outside this command, or recorded by a poller that stopped before sending them (the message is then still in ' +
    'its source queue); a replay sends them from their record'
  );
}

const STEP_WORDS: Record<PlannedLetter['step'], [done: string, planned: string]> = {
  replay: ['replayed', 'would replay'],
  'already-completed': ['already completed', 'already completed'],
  'set-aside': ['set aside', 'would set aside'],
  wait: ['waits', 'waits'],
};

function printReplay(report: ReplayReport, dlq: DeadLetterQueue, names: Names): void {
  const { queue } = dlq.messages.endpoints;
  const word = (step: PlannedLetter['step']) => STEP_WORDS[step][report.dryRun ? 1 : 0];
  if (report.dryRun) console.log('dry run: nothing is sent, recorded or deleted');
  const waiting = report.source.visible + report.source.inFlight;
  console.log(
    waiting === 0
      ? `${names.source} is empty: the replayed letters run next, in their original order`
      : `${names.source} holds ${report.source.visible} waiting and ${report.source.inFlight} in flight: ` +
          'a replayed letter runs after the messages of its group already there',
  );
  console.log(
    queue.fifo
      ? 'each letter is sent in its group with deduplication id replay:<source message id>: a re-run within 5 minutes sends nothing twice, later ones are absorbed by the workflow id and the completion record'
      : 'Standard queue: no deduplication id; a letter sent twice (a re-run after a crash) is absorbed by its workflow id and the completion record',
  );
  for (const [group, planned] of byGroup(report.plan, (p) => p.letter.groupId)) {
    console.log(`group ${group}:`);
    for (const { letter, step, why } of planned) {
      console.log(`  ${word(step).padEnd(17)} ${letter.sourceMessageId}  ${summary(letter)}${why ? `  (${why})` : ''}`);
    }
  }
  const count = (step: PlannedLetter['step']) => report.plan.filter((p) => p.step === step).length;
  console.log(
    (['replay', 'already-completed', 'set-aside', 'wait'] as const).map((s) => `${word(s)} ${count(s)}`).join(', ') +
      ` (from ${names.dlq})`,
  );
  if (report.leftoversDeleted) console.log(`deleted ${report.leftoversDeleted} leftover copy(ies) of settled letters`);
  if (report.foundAfter) {
    console.log(
      `${report.foundAfter} letter(s) SQS moved without a record came into view behind the replayed ones: run replay again`,
    );
  }
}

function findQueueOrFail(name: string) {
  try {
    return findQueue(name);
  } catch (error) {
    throw new FatalError((error as Error).message);
  }
}
