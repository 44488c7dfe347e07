import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';

jest.setTimeout(120_000);

let bench: PipelineBench;

beforeAll(async () => {
  bench = await pipelineBench(['background']);
  await bench.startPoller('payout-sync', { concurrency: 2 });
});
afterAll(() => bench?.close());

it('never holds more messages than its concurrency: at most 2 workflows run at once', async () => {
  const messages = Array.from({ length: 6 }, (_, i) => envelope('payout.sync', `limit-${i}`, { sleepMs: 1_500 }));
  for (const message of messages) await bench.send('payout-sync', message);

  const rows = await eventually(
    () => bench.executions(),
    (all) => all.filter((r) => r.account_id.startsWith('limit-') && r.phase === 'end').length === 6,
  );
  const runs = new Map<string, { start: number; end: number }>();
  for (const row of rows.filter((r) => r.account_id.startsWith('limit-'))) {
    const run = runs.get(row.run_id) ?? { start: 0, end: 0 };
    run[row.phase as 'start' | 'end'] = row.at.getTime();
    runs.set(row.run_id, run);
  }
  const intervals = [...runs.values()];
  const overlapAt = (t: number) => intervals.filter((run) => run.start <= t && run.end > t).length;
  expect(Math.max(...intervals.map((run) => overlapAt(run.start)))).toBe(2);
});
