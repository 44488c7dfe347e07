/**
 * The poller role as its own process (src/workers/poller-worker.ts), as deployed, fed every hostile
 * body on a FIFO and a Standard queue between valid messages: it dead-letters each with its reason,
 * completes the valid ones, logs nothing worse than a warning per dead letter, and is still alive
 * and ready afterwards (stopping it is test/pollers/poller-process.test.ts's). The stand-in
 * workflows run in this test's worker.
 */
import { hostileBodies, expectHostileDeadLettered } from '../support/hostile';
import { envelope, pipelineBench, type PipelineBench } from '../support/pipeline';
import { loggedPort, startRole, type RoleProcess } from '../support/role-process';

jest.setTimeout(90_000);

let bench: PipelineBench;
let role: RoleProcess;
let healthPort: number;

beforeAll(async () => {
  bench = await pipelineBench(['account', 'background']);
  role = startRole('poller-worker', { ...bench.t.env, POLLER_QUEUES: 'account-sync,payout-sync' });
  healthPort = await loggedPort(role, 'health server listening');
  await role.waitForOutput('poller-worker: polling');
}, 60_000);
afterAll(async () => {
  if (role?.child.exitCode === null) role.child.kill('SIGKILL');
  await bench?.close();
});

/** The role's JSON log lines at warn or above. */
const complaints = () =>
  role
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; msg: string })
    .filter((line) => ['warn', 'error', 'fatal'].includes(line.level));

it('dead-letters every hostile body on both kinds of queue and completes the valid messages between them', async () => {
  const fifo = hostileBodies(envelope('account.sync', 'role-fifo'), envelope('payout.sync', 'role-fifo'), {
    fifo: true,
  });
  const standard = hostileBodies(envelope('payout.sync', 'role-std'), envelope('account.sync', 'role-std'), {
    fifo: false,
  });
  // The FIFO group runs one workflow at a time: a valid message every eight hostile bodies keeps it short.
  await Promise.all([
    expectHostileDeadLettered(bench, 'account-sync', 'role-fifo', fifo, () => envelope('account.sync', 'role-fifo'), {
      spacing: 8,
    }),
    expectHostileDeadLettered(bench, 'payout-sync', 'role-std', standard, () => envelope('payout.sync', 'role-std')),
  ]);
  // One warning per dead letter, saying why; nothing worse.
  expect(complaints().map((line) => line.msg)).toEqual(
    Array(fifo.length + standard.length).fill('invalid message moved to the DLQ'),
  );
});

it('is still alive and ready afterwards', async () => {
  expect(role.child.exitCode).toBeNull();
  const readiness = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
  expect({ status: readiness.status, body: await readiness.json() }).toMatchObject({
    status: 200,
    body: { status: 'ready', checks: { sqs: { ok: true }, temporal: { ok: true } } },
  });
  expect((await fetch(`http://127.0.0.1:${healthPort}/livez`)).status).toBe(200);
});
