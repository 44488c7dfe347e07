/**
 * The poller role as its own process (src/workers/poller-worker.ts): SIGTERM with work in flight,
 * and SIGKILL mid-flight followed by a restart. The stand-in workflows run in this test's worker.
 */
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { startRole, type RoleProcess } from '../support/role-process';
import { queueIsEmpty } from '../support/sqs';

jest.setTimeout(180_000);

let bench: PipelineBench;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  bench = await pipelineBench(['account']);
  env = {
    ...bench.t.env,
    POLLER_QUEUES: 'account-sync',
    // Short, so messages a killed poller held come back within seconds.
    POLLER_VISIBILITY_TIMEOUT_SECONDS: '6',
    POLLER_SHUTDOWN_SECONDS: '20',
  };
});
afterAll(() => bench?.close());

async function sendWork(prefix: string) {
  const messages = [];
  for (let round = 0; round < 4; round++) {
    for (const account of ['a', 'b', 'c']) {
      const message = envelope('account.sync', `${prefix}-${account}`, { sleepMs: 1000 });
      messages.push(message);
      await bench.send('account-sync', message);
    }
  }
  return messages;
}

async function runsPerKey(prefix: string): Promise<Map<string, Set<string>>> {
  const runs = new Map<string, Set<string>>();
  for (const row of await bench.executions()) {
    if (!row.account_id.startsWith(prefix) || row.phase !== 'end') continue;
    runs.set(row.idempotency_key, (runs.get(row.idempotency_key) ?? new Set()).add(row.run_id));
  }
  return runs;
}

const queueDrained = () => queueIsEmpty(bench.t.deps.sqs, bench.t.queueUrl('account-sync'));

async function startedCount(prefix: string): Promise<number> {
  return (await bench.executions()).filter((r) => r.account_id.startsWith(prefix) && r.phase === 'start').length;
}

async function expectEveryMessageCompletedOnce(prefix: string, messages: { idempotencyKey: string }[]) {
  const runs = await eventually(
    () => runsPerKey(prefix),
    (map) => map.size >= messages.length,
    90_000,
  );
  expect([...runs.keys()].sort()).toEqual(messages.map((m) => m.idempotencyKey).sort());
  for (const [key, runIds] of runs) expect({ key, runs: runIds.size }).toEqual({ key, runs: 1 });
  expect(await eventually(queueDrained, Boolean, 30_000)).toBe(true);
}

async function stop(role: RoleProcess): Promise<number | null> {
  role.child.kill('SIGTERM');
  return role.exited;
}

/** A poller process with 12 messages queued for it, of which it has started at least 3. */
async function pollerBusyWithWork(prefix: string) {
  const messages = await sendWork(prefix);
  const first = startRole('poller-worker', env);
  await first.waitForOutput('polling account-sync');
  await eventually(
    () => startedCount(prefix),
    (n) => n >= 3,
    30_000,
  );
  return { messages, first };
}

async function expectRestartedPollerCompletesAll(prefix: string, messages: { idempotencyKey: string }[]) {
  const second = startRole('poller-worker', env);
  try {
    await expectEveryMessageCompletedOnce(prefix, messages);
  } finally {
    expect(await stop(second)).toBe(0);
  }
}

describe('the poller role process', () => {
  it('on SIGTERM with work in flight exits 0 within its deadline and loses nothing', async () => {
    const { messages, first } = await pollerBusyWithWork('term');

    const signalled = Date.now();
    expect(await stop(first)).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(20_000 + 5_000);
    expect(first.output()).toContain('poller-worker: stopped');

    await expectRestartedPollerCompletesAll('term', messages);
  });

  it('after SIGKILL mid-flight and a restart, completes every message exactly once', async () => {
    const { messages, first } = await pollerBusyWithWork('kill');
    first.child.kill('SIGKILL');
    await first.exited;

    await expectRestartedPollerCompletesAll('kill', messages);
  });
});
