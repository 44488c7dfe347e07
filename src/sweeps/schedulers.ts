/**
 * The sweeps' BullMQ Job Schedulers: one queue per sweep, one scheduler per queue, upserted by id, so
 * any number of sweep processes starting at once (a rolling deploy) still leave exactly one scheduler
 * per sweep and one job per tick.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { SWEEPS, type SweepDefinition } from './registry';

/** Bounded retention in Redis; every run is archived in sweep_runs before its job finishes. */
export const SWEEP_JOB_OPTIONS = {
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 500 },
  // A sweep that fails is not retried by BullMQ: the next tick (or the claim-sweeper) picks up the work.
  attempts: 1,
};

export function sweepQueue(config: Config, connection: Redis, sweep: SweepDefinition): Queue {
  return new Queue(sweep.name, { connection, prefix: config.redis.keyPrefix });
}

export async function upsertSweepSchedulers(config: Config, connection: Redis): Promise<void> {
  await Promise.all(
    SWEEPS.map(async (sweep) => {
      const queue = sweepQueue(config, connection, sweep);
      try {
        await queue.upsertJobScheduler(
          sweep.name,
          { pattern: sweep.pattern, tz: config.sweeps.timezone },
          { name: sweep.name, data: {}, opts: SWEEP_JOB_OPTIONS },
        );
      } finally {
        await queue.close();
      }
    }),
  );
}
