/**
 * An operator command's life, the same for every command: its arguments read (`undefined` when help
 * was asked for: the usage is printed and nothing is touched), then the configuration loaded and the
 * command run; a failure ends the process as runMain says (one line, exit 1; 2 for configuration).
 */
import { loadConfig, type Config } from '../config';
import { FatalError, runMain } from '../platform/main';

/**
 * A command's arguments as `parse` reads them (node:util parseArgs). An unknown option or a missing
 * value is the operator's typo: one line naming it and the usage, not a stack trace (parseArgs
 * explains over several sentences and lines: its first one names the problem).
 */
export function readArguments<Parsed>(usage: string, parse: () => Parsed): Parsed {
  try {
    return parse();
  } catch (error) {
    const problem = (error as Error).message.split(/\.\s|\n/)[0]!.replace(/\.$/, '');
    throw new FatalError(`${problem}; ${usage}`);
  }
}

export function runCommand<Request>(
  usage: string,
  request: () => Request | undefined,
  run: (asked: Request, config: Config) => Promise<void>,
): void {
  runMain(async () => {
    const asked = request();
    if (asked === undefined) console.log(usage);
    else await run(asked, loadConfig());
  });
}
