/**
 * `npm run dev`: the whole service on this machine. Brings the stack up, migrates, provisions, runs
 * every role in the foreground with its output prefixed, proves the worker answers with a smoke-check
 * workflow, and stops the roles cleanly on Ctrl-C (the stack keeps running: `npm run stack:down`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/config';
import { onShutdownSignal, runMain } from '../src/runtime/main';
import { createTemporalClient } from '../src/temporal/client';
import { SWEEP_PROCESS_NODE_FLAGS } from '../src/sweeps/process-flags';
import { smokeCheckWorkflow } from '../src/workflows';
import { REPO_ROOT } from './stack/paths';
import { prepareLocal } from './prepare-local';

/** Every role of the service, each its own process as it would be in production. */
const ROLES: { name: string; entry: string; nodeFlags?: string[] }[] = [
  { name: 'temporal-worker', entry: 'src/workers/temporal-worker.ts' },
  { name: 'sweep-worker', entry: 'src/workers/sweep-worker.ts', nodeFlags: SWEEP_PROCESS_NODE_FLAGS },
  { name: 'poller-worker', entry: 'src/workers/poller-worker.ts' },
];

function startRole(role: (typeof ROLES)[number]): ChildProcess {
  // Detached: Ctrl-C reaches only this supervisor, which then stops each role exactly once.
  const args = [...(role.nodeFlags ?? []), '--import', 'tsx', path.join(REPO_ROOT, role.entry)];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => console.log(`[${role.name}] ${line}`));
  }
  return child;
}

async function runSmokeCheck(): Promise<void> {
  const config = loadConfig();
  const client = await createTemporalClient(config);
  try {
    const result = await client.workflow.execute(smokeCheckWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `smoke-check/dev/${Date.now()}`,
      args: ['hello from npm run dev'],
      workflowExecutionTimeout: '1 minute',
    });
    console.log(`smoke check passed: ${result}`);
  } finally {
    await client.connection.close();
  }
}

runMain(async () => {
  await prepareLocal();
  const children = ROLES.map((role) => ({ role, child: startRole(role) }));
  const exited = children.map(
    ({ role, child }) =>
      new Promise<void>((resolve) =>
        child.on('exit', (code, signal) => {
          console.log(`[${role.name}] exited (${signal ?? `code ${code}`})`);
          resolve();
        }),
      ),
  );
  process.on('exit', () => children.forEach(({ child }) => child.exitCode === null && child.kill('SIGKILL')));
  let stopping = false;
  onShutdownSignal(async () => {
    stopping = true;
    console.log('stopping roles');
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(exited);
    process.exit(0);
  });

  await runSmokeCheck();
  console.log(`\nTemporal UI: ${process.env.TEMPORAL_UI_URL}/namespaces/${process.env.TEMPORAL_NAMESPACE}/workflows`);
  console.log('roles are running; Ctrl-C stops them (the stack keeps running: npm run stack:down)');
  await Promise.all(exited);
  if (!stopping) throw new Error('every role exited on its own; see their output above');
});
