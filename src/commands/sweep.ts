/** `npm run sweep -- <name>`: runs one sweep now, in this process, with its audit row. */
import { loadConfig } from '../config';
import { postgresServer, requireServers, sqsServer } from '../platform/startup-checks';
import { FatalError, runMain } from '../platform/main';
import { createSweepDependencies } from '../sweeps/sweep-dependencies';
import { SWEEPS, findSweep } from '../sweeps/registry';
import { runSweep } from '../sweeps/run-sweep';

runMain(async () => {
  const name = process.argv[2];
  if (!name || !SWEEPS.some((sweep) => sweep.name === name)) {
    throw new FatalError(`usage: npm run sweep -- <${SWEEPS.map((sweep) => sweep.name).join('|')}>`);
  }
  const deps = createSweepDependencies(loadConfig());
  await requireServers([postgresServer(deps.pool), sqsServer(deps.sqs)]);
  try {
    const report = await runSweep(deps, findSweep(name), { trigger: 'manual' });
    console.log(JSON.stringify({ sweep: name, ...report }));
  } finally {
    await deps.close();
  }
});
