/**
 * FIFO order per group (one account on one FIFO queue), for every message of the group whatever became
 * of it (completed, failed, dead-lettered) and whoever sent it (the producer or a sweep):
 * - no two runs of the group's workflows overlap in time: each run starts only once every earlier run
 *   of the group has closed (a run still open counts as never closing);
 * - messages whose send order the harness knows (the producer's, in bursts of one group per batch) run
 *   in that order: each one's first run starts after the previous one's last run closed.
 * A sweep's messages have no order the harness knows (one sweep sends a set), so only the first rule
 * covers them.
 */

export interface RunSpan {
  start: Date;
  /** Undefined while the run is open. */
  close?: Date;
}

export interface GroupMessage {
  workflowId: string;
  /** The producer's send position (smaller was sent first); undefined for a sweep's message. */
  sendIndex?: number;
  runs: RunSpan[];
}

const closeOf = (run: RunSpan) => run.close?.getTime() ?? Number.POSITIVE_INFINITY;

/** Runs of different messages of the group that overlap in time. */
function overlaps(group: string, messages: readonly GroupMessage[]): string[] {
  const runs = messages
    .flatMap((message) => message.runs.map((run) => ({ id: message.workflowId, run })))
    .sort((a, b) => a.run.start.getTime() - b.run.start.getTime());
  const found: string[] = [];
  let latest: { id: string; close: number } | undefined;
  for (const { id, run } of runs) {
    if (latest && run.start.getTime() < latest.close)
      found.push(`${group}: ${id} started at ${run.start.toISOString()} while ${latest.id} was still running`);
    if (!latest || closeOf(run) > latest.close) latest = { id, close: closeOf(run) };
  }
  return found;
}

/** Messages of known send order that started before the one sent before them had closed. */
function overtakes(group: string, messages: readonly GroupMessage[]): string[] {
  const ordered = messages
    .filter((message) => message.sendIndex !== undefined && message.runs.length > 0)
    .sort((a, b) => a.sendIndex! - b.sendIndex!);
  const found: string[] = [];
  for (let i = 1; i < ordered.length; i += 1) {
    const [before, after] = [ordered[i - 1]!, ordered[i]!];
    const lastClose = Math.max(...before.runs.map(closeOf));
    const firstStart = Math.min(...after.runs.map((run) => run.start.getTime()));
    if (firstStart < lastClose)
      found.push(`${group}: ${after.workflowId} ran before ${before.workflowId} had finished`);
  }
  return found;
}

/** Every violation of FIFO order, per group (the key names the group). */
export function orderViolations(groups: ReadonlyMap<string, readonly GroupMessage[]>): string[] {
  return [...groups].flatMap(([group, messages]) => [...overlaps(group, messages), ...overtakes(group, messages)]);
}
