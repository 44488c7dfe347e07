import type { SweepContext } from './context';

/**
 * Queues whose backlog is above their ceiling: a stalled consumer must not make a queue grow
 * without bound, so sweeps leave those queues' rows for a later run.
 */
export async function overfullQueues(ctx: SweepContext): Promise<Set<string>> {
  const backlogs = await ctx.queues.backlogs(ctx.catalogue);
  return new Set(
    ctx.catalogue.filter((queue) => (backlogs.get(queue.name) ?? 0) > queue.backlogCeiling).map((q) => q.name),
  );
}
