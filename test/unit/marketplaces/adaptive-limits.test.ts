/**
 * What the marketplace says about its limits, on a clock of the test's own: a rate header or a 429
 * naming its bucket lowers that bucket (and only it) for ADAPTIVE_WINDOW_MS after it was last said,
 * a Retry-After pauses it, and the configured rate comes back after the window.
 */
import { ADAPTIVE_WINDOW_MS, AdaptiveLimits, type Bucket } from '../../../src/marketplaces/adaptive-limits';

const configured = { points: 5, seconds: 1 };
const bucket: Bucket = { marketplace: 'amazon', operation: 'listings-update', accountId: 'A1' };
const otherSeller: Bucket = { ...bucket, accountId: 'A2' };
const otherOperation: Bucket = { ...bucket, operation: 'listings-read' };

function limits() {
  let now = 1_000_000;
  const adaptive = new AdaptiveLimits(() => now);
  return { adaptive, advance: (ms: number) => (now += ms) };
}

it('lowers a bucket to the rate its header grants, for the window after it was last said, then recovers', () => {
  const { adaptive, advance } = limits();
  adaptive.granted(bucket, '2', configured);
  expect(adaptive.loweredRate(bucket, configured)).toBe(2);
  expect(adaptive.loweredRate(otherSeller, configured)).toBeUndefined();
  expect(adaptive.loweredRate(otherOperation, configured)).toBeUndefined();
  advance(ADAPTIVE_WINDOW_MS - 1);
  adaptive.granted(bucket, '2', configured);
  advance(ADAPTIVE_WINDOW_MS - 1);
  expect(adaptive.loweredRate(bucket, configured)).toBe(2);
  advance(1);
  expect(adaptive.loweredRate(bucket, configured)).toBeUndefined();
});

it('never raises a bucket above our configured rate, and ignores a header that is not a rate', () => {
  const { adaptive } = limits();
  for (const header of ['50', '5', '0', '-1', 'soon', null]) adaptive.granted(bucket, header, configured);
  expect(adaptive.loweredRate(bucket, configured)).toBeUndefined();
});

it('lowers the bucket a 429 names: to the rate it gives, or else to half', () => {
  const { adaptive } = limits();
  const body = (rate?: number) =>
    JSON.stringify({ error: 'rate limited', bucket: { operation: 'listings-update', sellerId: 'A1' }, rate });
  adaptive.rateLimited(bucket, 1_000, body(), configured);
  expect(adaptive.loweredRate(bucket, configured)).toBe(2.5);
  adaptive.rateLimited(bucket, 1_000, body(), configured);
  expect(adaptive.loweredRate(bucket, configured)).toBe(1.25);
  adaptive.rateLimited(bucket, 1_000, body(0.5), configured);
  expect(adaptive.loweredRate(bucket, configured)).toBe(0.5);
});

it('leaves the rate alone when a 429 names no bucket, or another one, but pauses for its Retry-After', () => {
  const { adaptive, advance } = limits();
  adaptive.rateLimited(bucket, 3_000, '{"error":"rate limited"}', configured);
  adaptive.rateLimited(bucket, 1_000, JSON.stringify({ bucket: { operation: 'orders', sellerId: 'A1' } }), configured);
  adaptive.rateLimited(bucket, 1_000, JSON.stringify({ bucket: { sellerId: 'A2' } }), configured);
  expect(adaptive.loweredRate(bucket, configured)).toBeUndefined();
  expect(adaptive.pausedFor(bucket)).toBe(3_000);
  expect(adaptive.pausedFor(otherSeller)).toBe(0);
  advance(2_000);
  expect(adaptive.pausedFor(bucket)).toBe(1_000);
  advance(1_000);
  expect(adaptive.pausedFor(bucket)).toBe(0);
});
