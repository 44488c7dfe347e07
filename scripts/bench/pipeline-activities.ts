/** Records when each benchmark workflow started, by idempotency key, in the benchmark process. */
export function createBenchActivities(startedAt: Map<string, number>) {
  return {
    async noop(key: string, workflowStartMs: number): Promise<void> {
      startedAt.set(key, workflowStartMs);
    },
  };
}
