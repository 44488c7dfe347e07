/** Runs one sweep with its audit row: started before any work, finished with the report or the error. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import type { Logger } from '../platform/logger';
import type { Config } from '../config';
import { finishSweepRun, startSweepRun } from '../db/sweep-runs';
import type { QueueDefinition } from '../queues/catalogue';
import type { QueueDirectory } from '../queues/queue-urls';
import { slotOf, type SweepDefinition } from './registry';
import { emptyReport } from './report';
import { type SweepReport } from '../contracts/sweeps';

export interface SweepDependencies {
  config: Config;
  pool: Pool;
  sqs: SQSClient;
  queues: QueueDirectory;
  /** The queue catalogue, whose backlog ceilings the sweeps respect. */
  catalogue: readonly QueueDefinition[];
  log: Logger;
}

export interface SweepRunOptions {
  trigger: 'schedule' | 'manual';
  jobId?: string;
  now?: Date;
  pageSize?: number;
}

export const DEFAULT_PAGE_SIZE = 1000;

export async function runSweep(
  deps: SweepDependencies,
  sweep: SweepDefinition,
  { trigger, jobId, now = new Date(), pageSize = DEFAULT_PAGE_SIZE }: SweepRunOptions,
): Promise<SweepReport & { runId: string }> {
  const slot = slotOf(sweep, now, deps.config.sweeps.timezone);
  const runId = await startSweepRun(deps.pool, { sweep: sweep.name, slotAt: slot, jobId: jobId ?? null, trigger });
  const report = emptyReport();
  try {
    await sweep.run({ ...deps, sweep: sweep.name, slot, now, pageSize }, report);
    await finishSweepRun(deps.pool, runId, report);
    return { ...report, runId };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishSweepRun(deps.pool, runId, report, message).catch(() => undefined);
    throw error;
  }
}
