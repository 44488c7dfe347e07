/** The recovery figures' percentiles (scripts/chaos/recovery.ts): nearest rank on sorted delays. */
import { percentile } from '../../../scripts/chaos/recovery';

it('takes the nearest rank: p50 and p90 of ten delays, and the only one of one', () => {
  const delays = [301, 305, 310, 320, 330, 340, 350, 400, 500, 590];
  expect(percentile(delays, 0.5)).toBe(330);
  expect(percentile(delays, 0.9)).toBe(500);
  expect(percentile(delays, 1)).toBe(590);
  expect(percentile([42], 0.5)).toBe(42);
  expect(percentile([], 0.5)).toBeUndefined();
});
