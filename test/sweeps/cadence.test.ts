import { nextRunAfter, parseCadence } from '../../src/sweeps/cadence';
import { findSweep, slotOf } from '../../src/sweeps/registry';

describe('cadence', () => {
  it.each([
    ['15m', 15 * 60_000],
    ['4h', 4 * 3_600_000],
    ['1d', 86_400_000],
  ])('parses %s', (text, ms) => expect(parseCadence(text)).toBe(ms));

  it.each(['', '0m', '15', 'm', '1w', 'fortnightly', '-5m', '1.5h'])('rejects %p', (text) => {
    expect(parseCadence(text)).toBeUndefined();
  });

  it('moves to the first run after now, once, however many runs were missed', () => {
    const slot = new Date('2026-11-22T08:00:00Z');
    expect(nextRunAfter(slot, 3_600_000, new Date('2026-11-22T08:10:00Z'))).toEqual(new Date('2026-11-22T09:00:00Z'));
    expect(nextRunAfter(slot, 3_600_000, new Date('2026-11-22T13:30:00Z'))).toEqual(new Date('2026-11-22T14:00:00Z'));
  });
});

describe('sweep slots', () => {
  it('is the latest cron tick at or before now, in the configured time zone', () => {
    const now = new Date('2026-11-22T10:07:30Z');
    expect(slotOf(findSweep('scheduling-sweep'), now, 'UTC')).toEqual(new Date('2026-11-22T10:05:00Z'));
    expect(slotOf(findSweep('ajio-token-revalidation'), now, 'UTC')).toEqual(new Date('2026-11-22T08:00:00Z'));
    expect(slotOf(findSweep('ajio-orders-autosync'), new Date('2026-11-22T10:00:00Z'), 'UTC')).toEqual(
      new Date('2026-11-22T10:00:00Z'),
    );
    // 02:00 in Kolkata is 20:30 UTC the day before.
    expect(slotOf(findSweep('claim-sweeper'), now, 'Asia/Kolkata')).toEqual(new Date('2026-11-21T20:30:00Z'));
  });
});
