/**
 * `npm run alarms -- status [--json] [--at <ISO time>]`: every alarm provisioned for this environment
 * with the value it watches, its threshold and the state it would be in (src/observability/alarm-status.ts),
 * now or as of `--at` (what it would have been then).
 * Exit status: 0 when no alarm would be in ALARM, 3 when one would (so a script can wait for red or
 * green), 1 when CloudWatch cannot be read. `help`, `--help` or `-h` prints the usage.
 */
import { parseArgs } from 'node:util';
import { readArguments, runCommand } from './command';
import { alarmStatuses, type AlarmStatus } from '../observability/alarm-status';
import { comparisonSymbol } from '../observability/alarm-evaluation';
import { createCloudWatchClient } from '../observability/metrics';
import { FatalError } from '../platform/main';

const USAGE = 'usage: npm run alarms -- status [--json] [--at <ISO time>] | help';
export const EXIT_ANY_ALARM = 3;

function request(): { json: boolean; at: Date } | undefined {
  const parsed = readArguments(USAGE, () =>
    parseArgs({
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        at: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  const [action, ...extra] = parsed.positionals;
  if (parsed.values.help || action === 'help') return undefined;
  if (action !== 'status' || extra.length) throw new FatalError(USAGE);
  const at = parsed.values.at === undefined ? new Date() : new Date(parsed.values.at);
  if (Number.isNaN(at.getTime())) throw new FatalError(`--at takes an ISO time such as 2026-12-02T03:00:00Z; ${USAGE}`);
  return { json: parsed.values.json, at };
}

const figure = (value: number | null) => (value === null ? '-' : String(Math.round(value * 100) / 100));

function line(status: AlarmStatus): string {
  return (
    `${status.state.padEnd(17)} ${status.name}\n` +
    `    ${status.watches}\n` +
    `    values [${status.values.map(figure).join(', ')}] (${status.period} s periods, oldest first) ` +
    `${comparisonSymbol(status.comparison)} ${status.threshold}: ${status.reason}`
  );
}

runCommand(USAGE, request, async (asked, config) => {
  const cloudWatch = createCloudWatchClient(config);
  try {
    const statuses = await alarmStatuses(cloudWatch, config, asked.at);
    if (asked.json) console.log(JSON.stringify(statuses, null, 2));
    else {
      for (const status of statuses) console.log(line(status));
      const count = (state: string) => statuses.filter((s) => s.state === state).length;
      console.log(
        `${statuses.length} alarm(s): ${count('ALARM')} ALARM, ${count('OK')} OK, ` +
          `${count('INSUFFICIENT_DATA')} INSUFFICIENT_DATA`,
      );
    }
    if (statuses.some((status) => status.state === 'ALARM')) process.exitCode = EXIT_ANY_ALARM;
  } finally {
    cloudWatch.destroy();
  }
});
