/**
 * The live line `npm run dev` prints while the demo runs: messages the sweeps sent, workflows by
 * outcome, DLQ depth and sagas that compensated, counted from the dev run's start. Printed only when
 * a figure changes.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import { createPool } from '../src/db/pool';
import { deadLetterCounts } from '../src/queues/dead-letters';
import { QueueDirectory } from '../src/queues/queue-urls';
import { createSqsClient } from '../src/platform/sqs-client';
import { createTemporalClient } from '../src/platform/temporal-client';

const INTERVAL_MS = 5_000;

export class DemoSummary {
  private readonly pool;
  private readonly sqs;
  private readonly directory;
  private client?: Promise<Client>;
  private timer?: NodeJS.Timeout;
  private lastLine = '';

  constructor(
    private readonly config: Config,
    private readonly since: Date,
  ) {
    this.pool = createPool(config, { max: 1 });
    this.sqs = createSqsClient(config);
    this.directory = new QueueDirectory(this.sqs, config.queues.prefix);
  }

  start(): void {
    const tick = () =>
      this.line()
        .then((line) => {
          if (line !== this.lastLine) console.log(`${new Date().toLocaleTimeString()}  ${line}`);
          this.lastLine = line;
        })
        .catch((error: Error) => console.log(`summary unavailable: ${error.message}`));
    void tick();
    this.timer = setInterval(tick, INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async close(): Promise<void> {
    this.stop();
    await this.pool.end();
    this.sqs.destroy();
    await (await this.client)?.connection.close();
  }

  private async line(): Promise<string> {
    const [sent, workflows, dlq, compensated] = await Promise.all([
      this.messagesSent(),
      this.workflowsByStatus(),
      this.deadLetters(),
      this.sagasCompensated(),
    ]);
    const { Completed = 0, Running = 0, Failed = 0 } = workflows;
    return (
      `sent ${sent} · workflows completed ${Completed}, running ${Running}, failed ${Failed} · ` +
      `DLQ ${dlq} · sagas compensated ${compensated}`
    );
  }

  private async messagesSent(): Promise<number> {
    const { rows } = await this.pool.query<{ sent: number }>(
      'SELECT coalesce(sum(messages_sent), 0)::int AS sent FROM sweep_runs WHERE started_at >= $1',
      [this.since],
    );
    return rows[0]!.sent;
  }

  private async sagasCompensated(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM saga_runs WHERE finished_at >= $1 AND status <> 'completed'`,
      [this.since],
    );
    return rows[0]!.n;
  }

  private async workflowsByStatus(): Promise<Record<string, number>> {
    this.client ??= createTemporalClient(this.config);
    const client = await this.client;
    const statuses = ['Completed', 'Running', 'Failed'];
    const counts = await Promise.all(
      statuses.map((status) =>
        client.workflow.count(`StartTime >= "${this.since.toISOString()}" AND ExecutionStatus = "${status}"`),
      ),
    );
    return Object.fromEntries(statuses.map((status, index) => [status, counts[index]!.count]));
  }

  private async deadLetters(): Promise<number> {
    const counts = await deadLetterCounts(this.directory, this.pool);
    return counts.reduce((sum, { visible, inFlight }) => sum + visible + inFlight, 0);
  }
}
