/** `npm run stack:up | stack:down | stack:status` */
import { FatalError, runMain } from '../../src/platform/main';
import { stackDown, stackStatus, stackUp } from './stack';

const commands: Record<string, () => Promise<void>> = {
  up: () => stackUp(),
  down: () => stackDown(),
  status: async () => {
    if (!(await stackStatus())) process.exitCode = 3;
  },
};

runMain(async () => {
  const name = process.argv[2] ?? '';
  const command = commands[name];
  if (!command) throw new FatalError(`usage: stack <${Object.keys(commands).join('|')}>`);
  await command();
});
