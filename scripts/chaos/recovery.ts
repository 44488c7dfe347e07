/**
 * How long the messages a killed sweep left unsent waited: for each, the time from the kill to its
 * workflow's start in Temporal. Under the production lease (300 s) and the scheduling sweep's
 * five-minute tick, a claim is resent by the first tick after its lease ran out, so the delay is about
 * the lease plus up to one tick period, plus the queue and the poller.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Envelope } from '../../src/contracts/envelope';
import { workflowIdFor } from '../../src/contracts/workflows';
import type { Check } from './verify';

/** The claims a sweep held unsent when it was killed. */
export interface InterruptedSweep {
  killedAt: Date;
  workflowIds: string[];
}

export interface RecoveryDelay {
  workflowId: string;
  killedAt: string;
  /** Absent: the workflow never started (the lost check counts it). */
  startedAt?: string;
  delaySeconds?: number;
}

export interface RecoveryFigures {
  count: number;
  neverStarted: number;
  p50Seconds?: number;
  p90Seconds?: number;
  maxSeconds?: number;
  delays: RecoveryDelay[];
}

/** Right after a sweep's kill: which of its claims it had not marked sent. */
export async function unsentClaims(pool: Pool, killedAt: Date, startedAt: Date): Promise<InterruptedSweep> {
  // This sweep's own: not an earlier killed sweep's leftovers, nor the stock outbox's claims.
  const { rows } = await pool.query<{ envelope: Envelope }>(
    `SELECT envelope FROM dispatch_claims
      WHERE sent_at IS NULL AND NOT needs_attention AND sweep = 'scheduling-sweep' AND claimed_at >= $1`,
    [startedAt],
  );
  return { killedAt, workflowIds: rows.map((row) => workflowIdFor(row.envelope)) };
}

/** The value at fraction `p` of the sorted list (nearest rank). */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

async function startTime(client: Client, workflowId: string): Promise<Date | undefined> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).startTime;
  } catch {
    return undefined;
  }
}

export async function recoveryFigures(client: Client, interrupted: InterruptedSweep[]): Promise<RecoveryFigures> {
  // A claim left unsent by two kills in a row waited since the first.
  const firstKill = new Map<string, Date>();
  for (const sweep of interrupted)
    for (const id of sweep.workflowIds) if (!firstKill.has(id)) firstKill.set(id, sweep.killedAt);
  const delays = await Promise.all(
    [...firstKill].map(async ([workflowId, killedAt]): Promise<RecoveryDelay> => {
      const started = await startTime(client, workflowId);
      return {
        workflowId,
        killedAt: killedAt.toISOString(),
        startedAt: started?.toISOString(),
        delaySeconds: started ? (started.getTime() - killedAt.getTime()) / 1_000 : undefined,
      };
    }),
  );
  const seconds = delays.flatMap((d) => (d.delaySeconds === undefined ? [] : [d.delaySeconds])).sort((a, b) => a - b);
  return {
    count: delays.length,
    neverStarted: delays.length - seconds.length,
    p50Seconds: percentile(seconds, 0.5),
    p90Seconds: percentile(seconds, 0.9),
    maxSeconds: seconds.at(-1),
    delays,
  };
}

const rounded = (seconds: number | undefined) => (seconds === undefined ? '-' : seconds.toFixed(0));

/** One figure line for the report's table; the details go to the JSON report. */
export function recoveryCheck(figures: RecoveryFigures): Check {
  return {
    name: `recovered after a killed sweep (p50/p90/max ${rounded(figures.p50Seconds)}/${rounded(figures.p90Seconds)}/${rounded(figures.maxSeconds)} s)`,
    value: figures.count,
    violation: false,
    detail: figures.delays.map((d) => `${d.workflowId}: ${d.delaySeconds ?? 'never started'} s`),
  };
}
