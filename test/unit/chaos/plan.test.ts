/**
 * The chaos plan's events (scripts/chaos/plan.ts): every kind `rounds` times, pauses longer than the
 * leases they are meant to outlast, and per round one pause overlapped by a server crash.
 */
import { CHAOS_EVENT_KINDS, planChaos, type ChaosOptions, type PlannedEvent } from '../../../scripts/chaos/plan';
import { QUEUES } from '../../../src/queues/catalogue';

const options = (seed: number, rounds: number): ChaosOptions => ({
  seed,
  sqs: 'elasticmq',
  messages: 200,
  sellers: 20,
  rounds,
  sagaFailures: 4,
  deadLetterAccounts: 1,
  produceSeconds: 20,
  drainTimeoutSeconds: 600,
});

const plan = (seed: number, rounds: number) => planChaos(options(seed, rounds), 3_000).events;
const isPause = (event: PlannedEvent) => event.kind.startsWith('pause-');
const isCrash = (event: PlannedEvent) => event.kind.startsWith('crash-');

describe.each([1, 2])('%i round(s)', (rounds) => {
  const seeds = [440_010, 440_011, 440_012, 440_013, 440_014];

  it.each(seeds)('seed %i: every kind of event fires `rounds` times', (seed) => {
    const kinds = plan(seed, rounds).map((event) => event.kind);
    for (const kind of CHAOS_EVENT_KINDS)
      expect([kind, kinds.filter((k) => k === kind).length]).toEqual([kind, rounds]);
  });

  it.each(seeds)('seed %i: each round has a pause overlapped by the server crash right after it', (seed) => {
    const events = plan(seed, rounds);
    const overlapping = events.flatMap((event, i) => (event.overlapsNext ? [[event, events[i + 1]] as const] : []));
    expect(overlapping).toHaveLength(rounds);
    for (const [pause, crash] of overlapping) {
      expect(isPause(pause)).toBe(true);
      expect(crash && isCrash(crash)).toBe(true);
      expect(crash!.atProgress).toBe(pause.atProgress);
      expect(crash!.overlapsNext).toBeFalsy();
    }
  });
});

it('pauses outlast a FIFO message visibility and the longest activity heartbeat timeout (1 min)', () => {
  const longestFifoVisibilityMs = Math.max(
    ...QUEUES.filter((q) => q.fifo).map((q) => q.visibilityTimeoutSeconds * 1_000),
  );
  const pauses = [440_020, 440_021, 440_022].flatMap((seed) => plan(seed, 2).filter(isPause));
  for (const pause of pauses) expect(pause.downMs).toBeGreaterThan(Math.max(longestFifoVisibilityMs, 60_000));
});

it('the same seed plans the same events', () => {
  expect(plan(440_030, 2)).toEqual(plan(440_030, 2));
});
