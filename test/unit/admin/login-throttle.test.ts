/** Sign-in throttling per address with the production numbers (5 wrong per minute), on a clock the test moves. */
import { createLoginThrottle } from '../../../src/admin/login-throttle';

const start = Date.parse('2026-03-04T05:06:07Z');

function throttleAt() {
  const clock = { now: start };
  return { clock, throttle: createLoginThrottle(() => clock.now) };
}

describe('the sign-in throttle', () => {
  it('lets 5 wrong tokens a minute through, then holds the address until the oldest is a minute old', () => {
    const { clock, throttle } = throttleAt();
    for (let failure = 0; failure < 5; failure += 1) {
      expect(throttle.waitFor('203.0.113.7')).toBe(0);
      throttle.recordFailure('203.0.113.7');
      clock.now += 1_000;
    }
    // Failures at +0 s .. +4 s; now +5 s: the first ages out at +60 s.
    expect(throttle.waitFor('203.0.113.7')).toBe(55_000);
    clock.now = start + 59_999;
    expect(throttle.waitFor('203.0.113.7')).toBe(1);
    clock.now = start + 60_000;
    expect(throttle.waitFor('203.0.113.7')).toBe(0);
    // One more failure within the minute of the other four holds it again, until the second one ages out.
    throttle.recordFailure('203.0.113.7');
    expect(throttle.waitFor('203.0.113.7')).toBe(1_000);
  });

  it('counts each address on its own', () => {
    const { throttle } = throttleAt();
    for (let failure = 0; failure < 5; failure += 1) throttle.recordFailure('203.0.113.7');
    expect(throttle.waitFor('203.0.113.7')).toBe(60_000);
    expect(throttle.waitFor('198.51.100.2')).toBe(0);
  });

  it('forgets failures older than a minute: 4 now and 4 a minute later are not 5 within one', () => {
    const { clock, throttle } = throttleAt();
    for (let failure = 0; failure < 4; failure += 1) throttle.recordFailure('203.0.113.7');
    clock.now += 60_000;
    for (let failure = 0; failure < 4; failure += 1) throttle.recordFailure('203.0.113.7');
    expect(throttle.waitFor('203.0.113.7')).toBe(0);
  });
});
