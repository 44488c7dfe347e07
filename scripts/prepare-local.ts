/**
 * Everything `npm run dev` and `npm test` need before they start: the stack up, the database
 * migrated, the queues provisioned.
 */
import { migrate } from '../src/commands/migrate';
import { provision } from '../src/commands/provision';
import { loadConfig } from '../src/config';
import { runMain } from '../src/runtime/main';
import { loadStackEnv, stackUp } from './stack/stack';

export async function prepareLocal(): Promise<void> {
  await stackUp();
  loadStackEnv();
  const config = loadConfig();
  const applied = await migrate(config);
  console.log(applied.length ? `migrated: ${applied.join(', ')}` : 'database is up to date');
  console.log(`provisioned ${(await provision(config)).length} queues with their DLQs`);
}

if (require.main === module) runMain(prepareLocal);
