/**
 * Everything `npm run dev` and `npm test` need before they start: the stack up, the database
 * migrated, the queues, alarms and dashboard provisioned.
 */
import { migrate } from '../src/commands/migrate';
import { provision } from '../src/commands/provision';
import { loadConfig } from '../src/config';
import { runMain } from '../src/platform/main';
import { ensureDebianProgram } from './stack/install';
import { loadStackEnv, stackUp } from './stack/stack';

export async function prepareLocal(): Promise<void> {
  await stackUp();
  // test/ui drives the Temporal Web UI with Debian's chromium: playwright-core downloads no browser.
  ensureDebianProgram('chromium', 'chromium');
  loadStackEnv();
  const config = loadConfig();
  const applied = await migrate(config);
  console.log(applied.length ? `migrated: ${applied.join(', ')}` : 'database is up to date');
  const { queues, alarms, dashboard } = await provision(config);
  console.log(`provisioned ${queues.length} queues with their DLQs, ${alarms.length} alarms, dashboard ${dashboard}`);
}

if (require.main === module) runMain(prepareLocal);
