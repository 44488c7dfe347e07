/**
 * An operator command's life, the same for every command: its arguments read (`undefined` when help
 * was asked for: the usage is printed and nothing is touched), then the configuration loaded and the
 * command run; a failure ends the process as runMain says (one line, exit 1; 2 for configuration).
 */
import { loadConfig, type Config } from '../config';
import { runMain } from '../platform/main';

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
