/**
 * `npm run chaos [-- --seed N --messages N --sellers N --rounds N --short-lease --sqs elasticmq|fauxqs]`:
 * the pipeline under process kills, server restarts and crashes, pauses, lost SQS answers and
 * marketplace faults. Prints the checks and exits 1 on any violation; the seed printed at the start
 * replays the same plan.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FatalError, runMain } from '../../src/platform/main';
import { CHAOS_SQS_SERVERS, FULL_RUN, type ChaosOptions, type ChaosSqsServer } from './plan';
import { formatReport, runChaos, writeReport } from './run';
import { CHAOS_DIR } from './servers';

function wholeNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new FatalError(`--${name} must be a whole number, got "${raw}"`);
  return value;
}

function sqsServer(raw: string | undefined): ChaosSqsServer {
  if (raw === undefined) return FULL_RUN.sqs;
  const server = CHAOS_SQS_SERVERS.find((name) => name === raw);
  if (!server) throw new FatalError(`--sqs must be one of ${CHAOS_SQS_SERVERS.join(', ')}, got "${raw}"`);
  return server;
}

function optionsFromArgs(): ChaosOptions {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      messages: { type: 'string' },
      sellers: { type: 'string' },
      rounds: { type: 'string' },
      'short-lease': { type: 'boolean', default: false },
      sqs: { type: 'string' },
    },
  });
  return {
    ...FULL_RUN,
    seed: wholeNumber('seed', values.seed, Math.floor(Math.random() * 1_000_000)),
    messages: wholeNumber('messages', values.messages, FULL_RUN.messages),
    sellers: Math.max(1, wholeNumber('sellers', values.sellers, FULL_RUN.sellers)),
    rounds: wholeNumber('rounds', values.rounds, FULL_RUN.rounds),
    productionLease: !values['short-lease'],
    sqs: sqsServer(values.sqs),
  };
}

runMain(async () => {
  const options = optionsFromArgs();
  mkdirSync(CHAOS_DIR, { recursive: true });
  const report = await runChaos(options);
  console.log(`\n${formatReport(report)}`);
  console.log(`report: ${writeReport(report)}`);
  if (!report.passed) process.exitCode = 1;
});
