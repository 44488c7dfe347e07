/**
 * `npm run dlq -- list | peek <queue> | replay <queue> | purge <queue> [--yes]` (`--max N` for peek
 * and replay; `<queue>` is the logical name, e.g. account-sync). Works on the queue's DLQ.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { deadLetterCounts, peekDeadLetters, purgeDeadLetters, replayDeadLetters } from '../queues/dead-letters';
import { QUEUES, deadLetterQueueName, findQueue } from '../queues/catalogue';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../platform/sqs-client';
import { requireServers, sqsServer } from '../platform/startup-checks';
import { FatalError, runMain } from '../platform/main';

const USAGE = `usage: npm run dlq -- list | peek <queue> | replay <queue> | purge <queue> [--yes]  (--max N; queues: ${QUEUES.map((q) => q.name).join(', ')})`;

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

const ACTIONS = ['list', 'peek', 'replay', 'purge'];

/** An unknown option is the operator's typo: one line saying so and how to call, not a stack trace. */
function commandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { yes: { type: 'boolean', default: false }, max: { type: 'string', default: '100' } },
    });
  } catch (error) {
    // parseArgs explains over several sentences and lines: its first one names the problem.
    const problem = (error as Error).message.split(/\.\s|\n/)[0]!.replace(/\.$/, '');
    throw new FatalError(`${problem}; ${USAGE}`);
  }
}

runMain(async () => {
  const { positionals, values } = commandLine();
  const [action, queueArg] = positionals;
  const max = Number(values.max);
  if (!action || !ACTIONS.includes(action) || !Number.isInteger(max) || max < 1) throw new FatalError(USAGE);
  if (action !== 'list' && !queueArg) throw new FatalError(USAGE);
  const queue = queueArg ? findQueueOrFail(queueArg) : undefined;

  const config = loadConfig();
  const sqs = createSqsClient(config);
  await requireServers([sqsServer(sqs)]);
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const dlqName = queue && deadLetterQueueName(queue, config.queues.prefix);
  try {
    switch (action) {
      case 'list':
        console.table(await deadLetterCounts(directory));
        break;
      case 'peek': {
        const letters = await peekDeadLetters(sqs, directory, queue!, max);
        console.log(`${letters.length} message(s) in ${dlqName}`);
        for (const l of letters) {
          console.log(
            `${l.messageId}  sent ${l.sentAt}  receives ${l.receiveCount}  ${l.summary}\n    reason: ${l.reason}`,
          );
        }
        break;
      }
      case 'replay': {
        const result = await replayDeadLetters(sqs, directory, queue!, max);
        console.log(`replayed ${result.replayed.length} message(s) from ${dlqName} to its source queue`);
        for (const skip of result.skipped) console.log(`left in the DLQ: ${skip.messageId} ${skip.reason}`);
        break;
      }
      case 'purge':
        if (!values.yes && !(await confirmed(`Delete every message in ${dlqName}?`))) {
          throw new FatalError(`not purged: confirm at the prompt or pass --yes`);
        }
        await purgeDeadLetters(sqs, directory, queue!);
        console.log(`purged ${dlqName}`);
        break;
      default:
        throw new FatalError(USAGE);
    }
  } finally {
    sqs.destroy();
  }
});

function findQueueOrFail(name: string) {
  try {
    return findQueue(name);
  } catch (error) {
    throw new FatalError((error as Error).message);
  }
}
