/**
 * A seeded pseudo-random source (mulberry32): with `SIMULATOR_SEED`, probabilistic faults draw the
 * same sequence on every run, so a chaos run that found a problem can be run again with the same
 * fault plan. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
