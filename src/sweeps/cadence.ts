/**
 * A schedule's cadence: a whole number of minutes, hours or days (`15m`, `4h`, `1d`). Anything else
 * is malformed, and the sweep flags the row instead of guessing.
 */
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseCadence(cadence: string): number | undefined {
  const match = /^([1-9]\d{0,4})([mhd])$/.exec(cadence.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

/**
 * The first run after `now` on the grid `slot + k * cadence`: a schedule that missed several runs
 * (the service was down) sends once for the slot it was due, not once per missed run.
 */
export function nextRunAfter(slot: Date, cadenceMs: number, now: Date): Date {
  const missed = Math.floor((now.getTime() - slot.getTime()) / cadenceMs);
  return new Date(slot.getTime() + (Math.max(missed, 0) + 1) * cadenceMs);
}
