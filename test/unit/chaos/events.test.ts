/**
 * runEvents (scripts/chaos/events.ts): an event planned to overlap the next one is not awaited, so
 * the next fires while it lasts; the rest run one after another. The roles here are recorders of
 * when each signal would be sent, not processes: what is under test is the timing of the events.
 */
import { runEvents, type EventTargets } from '../../../scripts/chaos/events';
import type { PlannedEvent } from '../../../scripts/chaos/plan';
import type { SupervisedRole } from '../../../scripts/chaos/roles';
import { setTimeout as sleep } from 'node:timers/promises';

interface Span {
  what: string;
  from: number;
  to: number;
}

function recordingRole(name: string, spans: Span[]): SupervisedRole {
  const span = async (what: string, ms: number) => {
    const from = Date.now();
    await sleep(ms);
    spans.push({ what: `${what} ${name}`, from, to: Date.now() });
  };
  return {
    name,
    pause: async (ms: number) => {
      await span('pause', ms);
      return true;
    },
    kill: () => span('kill', 0),
    restart: () => span('restart', 0),
  } as unknown as SupervisedRole;
}

function targets(spans: Span[]): EventTargets {
  const unused = () => {
    throw new Error('not part of this test');
  };
  return {
    servers: {} as EventTargets['servers'],
    sqsProxy: {} as EventTargets['sqsProxy'],
    workers: [recordingRole('worker', spans)],
    pollers: [recordingRole('poller', spans)],
    sweeper: recordingRole('sweeper', spans),
    startSweep: unused,
    seedDueSchedules: unused,
    claimsInFlight: unused,
  };
}

const event = (kind: PlannedEvent['kind'], downMs: number, overlapsNext = false): PlannedEvent => ({
  kind,
  atProgress: 0,
  downMs,
  replica: 0,
  overlapsNext,
});

const run = (events: PlannedEvent[], spans: Span[]) =>
  runEvents(
    events,
    targets(spans),
    async () => 1,
    () => false,
    () => undefined,
  );

it('fires the event after an overlapping one while the overlapping one still lasts', async () => {
  const spans: Span[] = [];
  const fired = await run([event('pause-worker', 4_000, true), event('kill-poller', 100)], spans);
  const pause = spans.find((s) => s.what === 'pause worker')!;
  const kill = spans.find((s) => s.what === 'kill poller')!;
  expect(kill.from).toBeGreaterThan(pause.from);
  expect(kill.to).toBeLessThan(pause.to);
  expect(fired.map((f) => [f.kind, f.overlappedBy])).toEqual([
    ['kill-poller', undefined],
    ['pause-worker', 'kill-poller'],
  ]);
});

it('runs events that do not overlap one after another', async () => {
  const spans: Span[] = [];
  await run([event('pause-worker', 1_000), event('pause-sweeper', 100)], spans);
  const [first, second] = spans;
  expect(first!.what).toBe('pause worker');
  expect(second!.from).toBeGreaterThanOrEqual(first!.to);
});
