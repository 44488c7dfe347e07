/**
 * Metrics, alarms and the dashboard against a real CloudWatch API (moto's server from the stack):
 * what the roles put is read back with GetMetricStatistics, what provisioning creates with DescribeAlarms
 * and GetDashboard. Each test uses a namespace of its own.
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeAlarmsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Queue } from 'bullmq';
import type { Pool } from 'pg';
import { loadConfig, type Config } from '../../src/config';
import { PARKED_LETTER_ALARM_SECONDS, sweepPeriodSeconds } from '../../src/observability/alarms';
import { DLQ_RETENTION_SECONDS } from '../../src/queues/catalogue';
import {
  oldestParkedLetterAgeSeconds,
  saveDeadLetter,
  type DeadLetterRecord,
} from '../../src/queues/dead-letter-record';
import { createLogger } from '../../src/platform/logger';
import {
  METRICS,
  MetricsFlusher,
  createCloudWatchClient,
  type Dimensions,
  type Metric,
} from '../../src/observability/metrics';
import { provisionMonitoring } from '../../src/observability/provision-monitoring';
import { pollerMetrics } from '../../src/pollers/poller-metrics';
import { QUEUES, deadLetterQueueName, queueName } from '../../src/queues/catalogue';
import { createRedisConnection } from '../../src/platform/redis';
import { SWEEPS } from '../../src/sweeps/registry';
import { createMetricsRole } from '../../src/workers/metrics-worker';
import { isolatedEnvironment } from '../support/isolated-env';
import { envelope, eventually, pipelineBench } from '../support/pipeline';
import { seedAccount, seedSellerRow } from '../../scripts/harness/accounts';
import { sqsServers } from '../support/sqs';
import { readStatistic, type Stat } from '../support/cloudwatch';

jest.setTimeout(120_000);

const silent = createLogger({ level: 'silent', role: 'test' });
const uniqueNamespace = () => `SellerWorkflowsTest/${randomUUID().slice(0, 8)}`;
let cloudWatch: CloudWatchClient;

beforeAll(() => {
  cloudWatch = createCloudWatchClient(loadConfig());
});
afterAll(() => cloudWatch.destroy());

/** One statistic of one series over the last ten minutes (test/support/cloudwatch.ts). */
const read = (namespace: string, metric: Metric, dimensions: Dimensions, stat: Stat) =>
  readStatistic(cloudWatch, namespace, metric, dimensions, stat);

function flusherFor(namespace: string, intervalMs = 60_000): MetricsFlusher {
  return new MetricsFlusher({ cloudWatch, namespace, intervalMs, log: silent });
}

describe('publishing', () => {
  it('sums counters, keeps the last gauge and sends latencies as statistic sets, read back with GetMetricData', async () => {
    const namespace = uniqueNamespace();
    const flusher = flusherFor(namespace);
    // A queue name of its own too: moto's GetMetricData ignores the namespace when dimensions are given,
    // so another run's q-1 within the read window would otherwise be summed in.
    const queue = { QueueName: `q-${randomUUID().slice(0, 8)}` };
    flusher.buffer.count(METRICS.workflowsCompleted, queue, 2);
    flusher.buffer.count(METRICS.workflowsCompleted, queue);
    flusher.buffer.gauge(METRICS.messagesVisible, queue, 9);
    flusher.buffer.gauge(METRICS.messagesVisible, queue, 4);
    for (const ms of [100, 300, 200]) flusher.buffer.observe(METRICS.sendToStartLatency, queue, ms);
    await flusher.flush();

    expect(await read(namespace, METRICS.workflowsCompleted, queue, 'Sum')).toBe(3);
    expect(await read(namespace, METRICS.messagesVisible, queue, 'Maximum')).toBe(4);
    expect(await read(namespace, METRICS.sendToStartLatency, queue, 'SampleCount')).toBe(3);
    expect(await read(namespace, METRICS.sendToStartLatency, queue, 'Maximum')).toBe(300);
    expect(await read(namespace, METRICS.sendToStartLatency, queue, 'Minimum')).toBe(100);
    expect(await read(namespace, METRICS.sendToStartLatency, queue, 'Average')).toBe(200);
    // Drained: a second flush sends nothing new.
    await flusher.flush();
    expect(await read(namespace, METRICS.workflowsCompleted, queue, 'Sum')).toBe(3);
  });

  it('a CloudWatch that cannot be reached costs the interval, never the process', async () => {
    const unreachable = createCloudWatchClient(
      loadConfig({ ...process.env, CLOUDWATCH_ENDPOINT: 'http://127.0.0.1:9' }),
    );
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', role: 'test' }, { write: (line: string) => lines.push(line) });
    const flusher = new MetricsFlusher({
      cloudWatch: unreachable,
      namespace: uniqueNamespace(),
      intervalMs: 60_000,
      log,
    });
    flusher.buffer.count(METRICS.messagesReceived, { QueueName: 'q' });
    await expect(flusher.flush()).resolves.toBeUndefined();
    expect(lines.join('')).toContain('metrics not published this interval');
    unreachable.destroy();
  });
});

describe('pollers', () => {
  it('report receives, starts, outcomes, dead letters and send-to-start latency per queue', async () => {
    const namespace = uniqueNamespace();
    const bench = await pipelineBench(['background']);
    const flusher = flusherFor(namespace, 500).start();
    try {
      const queue = 'payout-sync';
      const physical = queueName(
        QUEUES.find((q) => q.name === queue)!,
        bench.t.config.queues.prefix,
      );
      await bench.startPoller(
        queue,
        { retryDelaySeconds: 0 },
        { observe: (_q, name) => pollerMetrics(flusher.buffer, name) },
      );
      await bench.send(queue, envelope('payout.sync', 'metrics-ok-1'));
      await bench.send(queue, envelope('payout.sync', 'metrics-ok-2'));
      await bench.send(queue, envelope('payout.sync', 'metrics-fail', { fail: true }));
      await bench.sendRaw(queue, '{"not":"an envelope"}');

      const dimensions = { QueueName: physical };
      const figures = async () => ({
        completed: await read(namespace, METRICS.workflowsCompleted, dimensions, 'Sum'),
        failed: await read(namespace, METRICS.workflowsFailed, dimensions, 'Sum'),
        deadLettered: await read(namespace, METRICS.messagesDeadLettered, dimensions, 'Sum'),
        started: await read(namespace, METRICS.workflowsStarted, dimensions, 'Sum'),
        received: await read(namespace, METRICS.messagesReceived, dimensions, 'Sum'),
        latencySamples: await read(namespace, METRICS.sendToStartLatency, dimensions, 'SampleCount'),
        latencyMax: await read(namespace, METRICS.sendToStartLatency, dimensions, 'Maximum'),
      });
      const seen = await eventually(
        figures,
        (f) => f.completed === 2 && (f.failed ?? 0) >= 1 && f.deadLettered === 2,
        60_000,
      );
      // Dead-lettered by the poller: the invalid body, and the non-retryable failure after its one run.
      expect(seen).toMatchObject({ completed: 2, deadLettered: 2 });
      expect(seen.failed).toBeGreaterThanOrEqual(1);
      // Every start is a completed or failed run (the failing message may have come back since).
      expect(seen.started).toBeGreaterThanOrEqual(3);
      expect(seen.received).toBeGreaterThanOrEqual(4);
      expect(seen.latencySamples).toBeGreaterThanOrEqual(3);
      expect(seen.latencyMax).toBeGreaterThan(0);
      expect(seen.latencyMax).toBeLessThan(60_000);
    } finally {
      await bench.close();
      await flusher.stop();
    }
  });
});

describe('the metrics role', () => {
  it('publishes queue and DLQ depths, sweep job counts and staleness, and what needs a person', async () => {
    const namespace = uniqueNamespace();
    const redisPrefix = `tmetrics${randomUUID().slice(0, 6)}`;
    const t = await isolatedEnvironment({ METRICS_NAMESPACE: namespace, REDIS_KEY_PREFIX: redisPrefix });
    const role = createMetricsRole(t.config, silent);
    const redis = createRedisConnection(t.config);
    const sweepQueue = new Queue('scheduling-sweep', { connection: redis, prefix: redisPrefix });
    try {
      const returns = t.queues.find((q) => q.queue.name === 'returns-sync')!;
      for (let i = 0; i < 3; i++)
        await t.deps.sqs.send(new SendMessageCommand({ QueueUrl: returns.dlqUrl, MessageBody: `dead ${i}` }));
      for (let i = 0; i < 2; i++)
        await t.deps.sqs.send(new SendMessageCommand({ QueueUrl: returns.url, MessageBody: `live ${i}` }));
      await sweepQueue.add('tick', {}, { delay: 3_600_000 });
      await t.deps.pool.query(
        `INSERT INTO sweep_runs (sweep, slot_at, trigger, status, started_at, finished_at)
         VALUES ('scheduling-sweep', now(), 'manual', 'succeeded', now() - interval '130 seconds', now() - interval '120 seconds')`,
      );
      await seedAccount(t.deps.pool, t.config, {
        id: 'reauth-1',
        marketplace: 'ajio',
        status: 'needs_reauth',
        credentials: false,
      });
      await t.deps.pool.query(
        `INSERT INTO saga_runs (workflow_id, saga, account_id, status, failed_step, reason, compensations)
         VALUES ('wf-1', 'inventory-deduct', 'reauth-1', 'needs_attention', 'push', 'boom', $1)`,
        [
          JSON.stringify([
            { step: 'a', ok: true },
            { step: 'b', ok: false },
          ]),
        ],
      );

      // Parked letters: the oldest still in its DLQ counts; a failed one and a replayed parked one do not.
      expect(await oldestParkedLetterAgeSeconds(t.deps.pool)).toBe(0);
      const day = 86_400;
      await parkedLetter(t.deps.pool, 'parked-old', 'parked', 3 * day);
      await parkedLetter(t.deps.pool, 'parked-new', 'parked', 1 * day);
      await parkedLetter(t.deps.pool, 'failed-older', 'failed', 5 * day);
      await parkedLetter(t.deps.pool, 'parked-replayed', 'parked', 6 * day);
      await t.deps.pool.query(`UPDATE dead_letters SET state = 'replayed' WHERE source_message_id = 'parked-replayed'`);

      await role.flusher.flush();

      const parkedAge = await read(namespace, METRICS.oldestParkedLetterAge, {}, 'Maximum');
      expect(parkedAge).toBeGreaterThanOrEqual(3 * day);
      expect(parkedAge).toBeLessThan(3 * day + 300);
      const prefix = t.config.queues.prefix;
      const returnsQueue = QUEUES.find((q) => q.name === 'returns-sync')!;
      expect(
        await read(
          namespace,
          METRICS.messagesVisible,
          { QueueName: deadLetterQueueName(returnsQueue, prefix) },
          'Maximum',
        ),
      ).toBe(3);
      expect(
        await read(namespace, METRICS.messagesVisible, { QueueName: queueName(returnsQueue, prefix) }, 'Maximum'),
      ).toBe(2);
      expect(
        await read(namespace, METRICS.messagesInFlight, { QueueName: queueName(returnsQueue, prefix) }, 'Maximum'),
      ).toBe(0);
      // Every queue and DLQ of the catalogue has its depth published.
      for (const queue of QUEUES) {
        for (const name of [queueName(queue, prefix), deadLetterQueueName(queue, prefix)]) {
          expect(await read(namespace, METRICS.messagesVisible, { QueueName: name }, 'Maximum')).toBeDefined();
        }
      }
      expect(await read(namespace, METRICS.sweepJobsDelayed, { Sweep: 'scheduling-sweep' }, 'Maximum')).toBe(1);
      expect(await read(namespace, METRICS.sweepJobsWaiting, { Sweep: 'claim-sweeper' }, 'Maximum')).toBe(0);
      const staleness = await read(
        namespace,
        METRICS.secondsSinceLastSuccessfulSweep,
        { Sweep: 'scheduling-sweep' },
        'Maximum',
      );
      expect(staleness).toBeGreaterThanOrEqual(120);
      expect(staleness).toBeLessThan(300);
      // Never succeeded: no figure at all rather than a made-up one.
      expect(
        await read(namespace, METRICS.secondsSinceLastSuccessfulSweep, { Sweep: 'claim-sweeper' }, 'Maximum'),
      ).toBeUndefined();
      expect(await read(namespace, METRICS.accountsNeedingReauth, {}, 'Maximum')).toBe(1);
      expect(await read(namespace, METRICS.sagasNeedingAttention, {}, 'Maximum')).toBe(1);
      expect(await read(namespace, METRICS.sagaCompensations, {}, 'Sum')).toBe(2);
      // None flagged yet: a 0, not a gap.
      expect(await read(namespace, METRICS.claimsNeedingAttention, {}, 'Maximum')).toBe(0);
      expect(await read(namespace, METRICS.schedulesNeedingAttention, {}, 'Maximum')).toBe(0);

      // The next interval counts only compensations finished since.
      await role.flusher.flush();
      expect(await read(namespace, METRICS.sagaCompensations, {}, 'Sum')).toBe(2);
    } finally {
      await sweepQueue.obliterate({ force: true });
      await sweepQueue.close();
      await redis.quit();
      await role.stop();
      await t.cleanup();
    }
  });
});

describe.each(sqsServers())('the metrics role on %s: stock figures', (_server, sqsOverrides) => {
  // Oversold is available (stock − reserved) below zero; exactly zero available is sold out, not oversold.
  const skus = [
    { id: 'SKU-PLENTY', stock: 5, reserved: 3, oversold: false },
    { id: 'SKU-SOLD-OUT', stock: 3, reserved: 3, oversold: false },
    { id: 'SKU-OVER-RESERVED', stock: 2, reserved: 5, oversold: true },
    { id: 'SKU-NEGATIVE-STOCK', stock: -1, reserved: 0, oversold: true },
    { id: 'SKU-NONE-LEFT', stock: 0, reserved: 1, oversold: true },
  ];

  // Each listing's findings, oldest first, and whether its latest one within 7 days is not `repaired`.
  const hour = 1;
  const day = 24 * hour;
  const listings: {
    account: string;
    sku: string;
    findings: [Outcome, number][];
    unrepaired: boolean;
    /** The listing was pushed this long ago (default: never by a versioned push). */
    pushedHoursAgo?: number;
    inactive?: boolean;
  }[] = [
    { account: 'drift-a', sku: 'SKU-D1', findings: [['repaired', 2 * hour]], unrepaired: false },
    { account: 'drift-a', sku: 'SKU-D2', findings: [['repair_failed', 2 * hour]], unrepaired: true },
    { account: 'drift-a', sku: 'SKU-D3', findings: [['missing_at_marketplace', 3 * hour]], unrepaired: true },
    // A newer failure is not hidden by an older repair...
    {
      account: 'drift-a',
      sku: 'SKU-D4',
      findings: [
        ['repaired', 5 * hour],
        ['repair_failed', 1 * hour],
      ],
      unrepaired: true,
    },
    // ...and a newer repair clears an older failure.
    {
      account: 'drift-a',
      sku: 'SKU-D5',
      findings: [
        ['repair_failed', 5 * hour],
        ['repaired', 1 * hour],
      ],
      unrepaired: false,
    },
    // Older than 7 days: no longer counted, whatever came before it.
    { account: 'drift-a', sku: 'SKU-D6', findings: [['repair_failed', 8 * day]], unrepaired: false },
    // A repair from before the window does not count as the latest.
    {
      account: 'drift-a',
      sku: 'SKU-D7',
      findings: [
        ['repaired', 9 * day],
        ['missing_at_marketplace', 1 * day],
      ],
      unrepaired: true,
    },
    // Per listing, not per SKU: the same SKU repaired on one account and failed on the other counts once.
    { account: 'drift-b', sku: 'SKU-D5', findings: [['repair_failed', 2 * hour]], unrepaired: true },
    // A push the marketplace took after the failure set the listing right; one before it did not.
    {
      account: 'drift-b',
      sku: 'SKU-D8',
      findings: [['repair_failed', 3 * hour]],
      unrepaired: false,
      pushedHoursAgo: 1,
    },
    { account: 'drift-b', sku: 'SKU-D9', findings: [['repair_failed', 3 * hour]], unrepaired: true, pushedHoursAgo: 4 },
    // A listing taken down after the marketplace said it does not know it is no longer drift.
    {
      account: 'drift-b',
      sku: 'SKU-D10',
      findings: [['missing_at_marketplace', 3 * hour]],
      unrepaired: false,
      inactive: true,
    },
  ];

  it('counts oversold SKUs, listings left unrepaired and repairs made since the last sample, once each', async () => {
    const namespace = uniqueNamespace();
    const t = await isolatedEnvironment({
      ...sqsOverrides,
      METRICS_NAMESPACE: namespace,
      REDIS_KEY_PREFIX: `tstock${randomUUID().slice(0, 6)}`,
    });
    const role = createMetricsRole(t.config, silent);
    const pool = t.deps.pool;
    try {
      await seedSellerRow(pool, 'stock-seller');
      for (const [id, marketplace] of [
        ['drift-a', 'amazon'],
        ['drift-b', 'flipkart'],
      ] as const)
        await seedAccount(pool, t.config, { id, sellerId: 'stock-seller', marketplace, credentials: false });
      for (const sku of skus) await seedSku(pool, 'stock-seller', sku.id, sku.stock, sku.reserved);
      for (const id of [...new Set(listings.map((listing) => listing.sku)), 'SKU-FRESH-1', 'SKU-FRESH-2'])
        await seedSku(pool, 'stock-seller', id, 10, 0);
      for (const listing of [
        ...listings,
        { account: 'drift-a', sku: 'SKU-FRESH-1' },
        { account: 'drift-b', sku: 'SKU-FRESH-2' },
        { account: 'drift-a', sku: 'SKU-D2' },
      ]) {
        await seedListing(pool, listing);
      }
      let run = 0;
      for (const listing of listings)
        for (const [outcome, hoursAgo] of listing.findings)
          await recordFinding(pool, `run-${++run}`, listing.account, listing.sku, outcome, hoursAgo);
      // Found after the role started: the first sample's repairs (the ones above are older than it).
      await recordFinding(pool, 'run-fresh-1', 'drift-a', 'SKU-FRESH-1', 'repaired');
      await recordFinding(pool, 'run-fresh-1', 'drift-b', 'SKU-FRESH-2', 'repaired');

      await role.flusher.flush();

      const unrepaired = listings.filter((listing) => listing.unrepaired).length;
      expect(await read(namespace, METRICS.oversoldSkus, {}, 'Maximum')).toBe(skus.filter((s) => s.oversold).length);
      expect(await read(namespace, METRICS.unrepairedDriftListings, {}, 'Maximum')).toBe(unrepaired);
      expect(await read(namespace, METRICS.driftRepaired, {}, 'Sum')).toBe(2);

      // A later run repairs SKU-D2 on drift-a: it no longer counts, and its repair is counted once more.
      await recordFinding(pool, 'run-fresh-2', 'drift-a', 'SKU-D2', 'repaired');
      await role.flusher.flush();

      expect(await read(namespace, METRICS.unrepairedDriftListings, {}, 'Minimum')).toBe(unrepaired - 1);
      expect(await read(namespace, METRICS.driftRepaired, {}, 'Sum')).toBe(2 + 1);
      // A quiet interval adds nothing.
      await role.flusher.flush();
      expect(await read(namespace, METRICS.driftRepaired, {}, 'Sum')).toBe(2 + 1);
    } finally {
      await role.stop();
      await t.cleanup();
    }
  });
});

describe('provisioning alarms and the dashboard', () => {
  const configFor = (namespace: string): Config =>
    loadConfig({ ...process.env, METRICS_NAMESPACE: namespace, QUEUE_PREFIX: `talarm${randomUUID().slice(0, 6)}-` });

  async function alarmsOf(namespace: string): Promise<MetricAlarm[]> {
    const { MetricAlarms = [] } = await cloudWatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${namespace} `, MaxRecords: 100 }),
    );
    return MetricAlarms;
  }

  it('creates every alarm with the thresholds of the queue catalogue and the sweep registry, idempotently', async () => {
    const namespace = uniqueNamespace();
    const config = configFor(namespace);
    const prefix = config.queues.prefix;
    const first = await provisionMonitoring(cloudWatch, config);
    const second = await provisionMonitoring(cloudWatch, config);
    expect(second).toEqual(first);

    const alarms = await alarmsOf(namespace);
    // Per queue three, per sweep one, the sagas, claims and schedules needing attention, parked letters
    // expiring, oversold SKUs, unrepaired drift and failing workflow tasks.
    expect(alarms).toHaveLength(QUEUES.length * 3 + SWEEPS.length + 7);
    const byName = new Map(alarms.map((alarm) => [alarm.AlarmName!, alarm]));
    const find = (kind: string, subject: string) => {
      const alarm = byName.get(`${namespace} ${kind}: ${prefix}${subject}`);
      if (!alarm) throw new Error(`no ${kind} alarm for ${subject}`);
      return alarm;
    };
    for (const queue of QUEUES) {
      const dlq = find('dlq-not-empty', `${queue.name}-dlq`);
      expect(dlq).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
      });
      expect(dlq.Dimensions).toEqual([{ Name: 'QueueName', Value: deadLetterQueueName(queue, prefix) }]);

      const age = find('oldest-message-age', queue.name);
      expect(age).toMatchObject({
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: queue.alarms.oldestMessageAgeSeconds,
      });
      expect(age.Dimensions).toEqual([{ Name: 'QueueName', Value: queueName(queue, prefix) }]);

      const stalled = find('consumer-stalled', queue.name);
      expect(stalled.EvaluationPeriods).toBe(queue.alarms.consumerStallMinutes);
      const expression = stalled.Metrics?.find((query) => query.Expression)?.Expression;
      expect(expression).toBe('IF(visible > 0 AND FILL(received, 0) == 0, 1, 0)');
      const watched = stalled.Metrics?.flatMap((query) => query.MetricStat?.Metric?.Dimensions ?? []).map(
        (d) => d.Value,
      );
      expect(new Set(watched)).toEqual(new Set([queueName(queue, prefix)]));
    }
    // Parked letters alarm four days before SQS's retention drops them.
    expect(PARKED_LETTER_ALARM_SECONDS).toBe(DLQ_RETENTION_SECONDS - 4 * 86_400);
    expect(find('parked-letters-expiring', 'dead_letters')).toMatchObject({
      Namespace: namespace,
      MetricName: METRICS.oldestParkedLetterAge.name,
      Threshold: 10 * 86_400,
    });
    // Inventory thresholds differ by queue: the inventory, not a literal, sets them.
    expect(find('oldest-message-age', 'inventory-deduct').Threshold).toBe(300);
    expect(find('oldest-message-age', 'reconciliation').Threshold).toBe(3600);

    const expectedStaleness: Record<string, number> = {
      'scheduling-sweep': 600,
      'ajio-token-revalidation': 28_800,
      'ajio-orders-autosync': 7_200,
      'claim-sweeper': 172_800,
    };
    for (const sweep of SWEEPS) {
      expect(sweepPeriodSeconds(sweep, 'UTC') * 2).toBe(expectedStaleness[sweep.name]);
      expect(find('sweep-stale', sweep.name)).toMatchObject({
        Namespace: namespace,
        MetricName: METRICS.secondsSinceLastSuccessfulSweep.name,
        Threshold: expectedStaleness[sweep.name],
      });
    }

    for (const [kind, subject, metric] of [
      ['sagas-need-attention', 'saga_runs', METRICS.sagasNeedingAttention],
      ['claims-need-attention', 'dispatch_claims', METRICS.claimsNeedingAttention],
      ['schedules-need-attention', 'schedules', METRICS.schedulesNeedingAttention],
      ['skus-oversold', 'skus', METRICS.oversoldSkus],
      ['drift-unrepaired', 'drift_findings', METRICS.unrepairedDriftListings],
    ] as const) {
      expect(find(kind, subject)).toMatchObject({
        Namespace: namespace,
        MetricName: metric.name,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    // Any failed workflow task is a person's problem: its workflow cannot end until the code is fixed.
    expect(find('workflow-task-failures', 'temporal-workers')).toMatchObject({
      Namespace: namespace,
      MetricName: METRICS.workflowTaskFailures.name,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(find('claims-need-attention', 'dispatch_claims').AlarmDescription).toContain('docs/operations.md');
    expect(find('skus-oversold', 'skus').AlarmDescription).toContain('docs/operations.md#skus-oversold');
    expect(find('drift-unrepaired', 'drift_findings').AlarmDescription).toContain(
      'docs/operations.md#drift-unrepaired',
    );
  });

  it('creates a dashboard with a row per queue family that references every queue and DLQ', async () => {
    const namespace = uniqueNamespace();
    const config = configFor(namespace);
    const { dashboard } = await provisionMonitoring(cloudWatch, config);
    const { DashboardBody } = await cloudWatch.send(new GetDashboardCommand({ DashboardName: dashboard }));
    const body = JSON.parse(DashboardBody!) as {
      widgets: { y: number; properties: { title: string; metrics: unknown[][] } }[];
    };
    const referenced = new Set(
      body.widgets.flatMap((widget) => widget.properties.metrics.flat().filter((part) => typeof part === 'string')),
    );
    for (const queue of QUEUES) {
      expect(referenced).toContain(queueName(queue, config.queues.prefix));
      expect(referenced).toContain(deadLetterQueueName(queue, config.queues.prefix));
    }
    for (const sweep of SWEEPS) expect(referenced).toContain(sweep.name);
    expect(referenced).toContain(namespace);
    // Every service-wide figure the metrics role and the workers publish has its line.
    for (const metric of [
      METRICS.accountsNeedingReauth,
      METRICS.sagasNeedingAttention,
      METRICS.sagaCompensations,
      METRICS.claimsNeedingAttention,
      METRICS.schedulesNeedingAttention,
      METRICS.oversoldSkus,
      METRICS.unrepairedDriftListings,
      METRICS.driftRepaired,
      METRICS.workflowTaskFailures,
    ])
      expect(referenced).toContain(metric.name);

    const rows = new Map<number, string[]>();
    for (const widget of body.widgets) rows.set(widget.y, [...(rows.get(widget.y) ?? []), widget.properties.title]);
    const rowTitles = [...rows.values()].map((titles) => titles[0]!.split(':')[0]);
    expect(rowTitles).toEqual([
      'Account sync (FIFO)',
      'Inventory deduct (FIFO)',
      'Marketplace push (FIFO)',
      'Background (Standard)',
      'Sweeps',
      'Accounts needing re-authorisation',
      'Inventory',
    ]);
  });
});

/** A dead letter recorded `ageSeconds` ago, as the poller records one. */
async function parkedLetter(
  pool: Parameters<typeof saveDeadLetter>[0],
  id: string,
  disposition: DeadLetterRecord['disposition'],
  ageSeconds: number,
): Promise<void> {
  await saveDeadLetter(pool, {
    disposition,
    reason: 'account parked-1 is disabled',
    failureType: 'AccountDisabled',
    sourceQueue: 'account-sync',
    sourceMessageId: id,
    groupId: 'parked-1',
    body: '{}',
    deadLetteredAt: new Date(Date.now() - ageSeconds * 1_000),
  });
}

type Outcome = 'repaired' | 'repair_failed' | 'missing_at_marketplace';

/** A SKU of the seller's catalogue with its stock and reservations, written directly. */
async function seedSku(pool: Pool, sellerId: string, id: string, stock: number, reserved: number): Promise<void> {
  await pool.query('INSERT INTO skus (id, seller_id, title, stock, reserved) VALUES ($1, $2, $3, $4, $5)', [
    id,
    sellerId,
    `Product ${id}`,
    stock,
    reserved,
  ]);
}

/** The listing a finding is about: active unless told, pushed `pushedHoursAgo` if given. */
async function seedListing(
  pool: Pool,
  listing: { account: string; sku: string; pushedHoursAgo?: number; inactive?: boolean },
): Promise<void> {
  await pool.query(
    `INSERT INTO listings (seller_id, account_id, sku_id, external_id, quantity, price_paise, status, pushed_at)
     VALUES ('stock-seller', $1, $2, $2, 10, 100, $3, now() - make_interval(hours => $4::int))
     ON CONFLICT DO NOTHING`,
    [listing.account, listing.sku, listing.inactive ? 'inactive' : 'active', listing.pushedHoursAgo ?? null],
  );
}

/** A drift finding of one run for one listing, found `hoursAgo` (default: now), as the repair records one. */
async function recordFinding(
  pool: Pool,
  runKey: string,
  accountId: string,
  skuId: string,
  outcome: Outcome,
  hoursAgo = 0,
): Promise<void> {
  await pool.query(
    `INSERT INTO drift_findings (run_key, seller_id, account_id, sku_id, external_id, marketplace_quantity,
                                 expected_quantity, outcome, found_at)
     VALUES ($1, 'stock-seller', $2, $3, $3, 4, 10, $4, now() - make_interval(hours => $5))`,
    [runKey, accountId, skuId, outcome, hoursAgo],
  );
}
