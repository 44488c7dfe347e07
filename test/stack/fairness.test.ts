/**
 * The stack's Temporal server applies per-seller fairness to the keys the pollers set. A server of the
 * stack's own kind (scripts/stack/services/temporal.ts, so its fairness flags) on this file's own ports.
 *
 * Ordering, not timing: a worker with 2 activity slots; one seller floods FLOOD workflows, then a small
 * seller adds SMALL. The first two flood activities hold both slots until every activity is scheduled,
 * so the whole backlog waits in the server's matching and the order the rest start in is the order the
 * server dispatches them. FIFO (keys absent) runs the small seller's after the flood; fairness runs them
 * among the flood's first.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { NativeConnection } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FairnessProbeActivities } from '../../scripts/bench/fairness-workflows';
import {
  BIG_SELLER,
  createProbeWorker,
  SMALL_SELLER,
  sellerDeduct,
  startDeduct,
  type Keys,
} from '../../scripts/bench/fairness';
import { usePrivateTemporal } from '../support/private-server';

jest.setTimeout(300_000);

const { server, port } = usePrivateTemporal('fairness', { envName: 'FAIRNESS', port: 27263, uiPort: 28263 });
const address = `127.0.0.1:${port}`;
const namespace = 'default';

const FLOOD = 200;
const SMALL = 5;

/** One activity as it started: whose work it was, and the fairness key the server handed it with. */
interface Started {
  sellerId: string;
  fairnessKey: string | undefined;
}

/** Polls until each workflow has scheduled its activity (running or waiting in the task queue). */
async function untilActivitiesScheduled(handles: WorkflowHandle[]): Promise<void> {
  let waiting = handles;
  while (waiting.length > 0) {
    const scheduled = await Promise.all(
      waiting.map(async (handle) => ((await handle.describe()).raw.pendingActivities ?? []).length > 0),
    );
    waiting = waiting.filter((_, i) => !scheduled[i]);
    if (waiting.length > 0) await sleep(200);
  }
}

/**
 * Floods, then adds the small seller's work, with the poller's start options (fairness keys kept or
 * dropped); returns the activities in the order they started.
 */
async function startOrder(client: Client, keys: Keys): Promise<Started[]> {
  const run = randomUUID().slice(0, 8);
  const baseTaskQueue = `fairness-test-${run}`;
  const started: Started[] = [];
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const activities: FairnessProbeActivities = {
    async probe(sellerId) {
      started.push({ sellerId, fairnessKey: Context.current().info.priority?.fairnessKey || undefined });
      await gate;
    },
  };
  const connection = await NativeConnection.connect({ address });
  const worker = await createProbeWorker(connection, namespace, baseTaskQueue, activities, 2);
  const start = (sellerId: string, index: number) =>
    startDeduct(client, baseTaskQueue, sellerDeduct(run, sellerId, index), keys);
  try {
    await worker.runUntil(async () => {
      const flood = await Promise.all(Array.from({ length: FLOOD }, (_, i) => start(BIG_SELLER, i)));
      await untilActivitiesScheduled(flood);
      const small = await Promise.all(Array.from({ length: SMALL }, (_, i) => start(SMALL_SELLER, i)));
      await untilActivitiesScheduled(small);
      openGate();
      await Promise.all([...flood, ...small].map((handle) => handle.result()));
    });
  } finally {
    await connection.close();
  }
  return started;
}

/** The small seller's activities: how many flood activities started before each. */
const floodBeforeEachSmall = (order: Started[]) =>
  order.flatMap((entry, position) =>
    entry.sellerId === SMALL_SELLER
      ? [order.slice(0, position).filter((earlier) => earlier.sellerId === BIG_SELLER).length]
      : [],
  );

describe('per-seller fairness on the stack’s Temporal server', () => {
  let connection: Connection;
  let client: Client;
  beforeAll(async () => {
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace });
  });
  afterAll(() => connection?.close());

  it('runs a small seller’s activities among a flooding seller’s first, where FIFO runs them after it', async () => {
    const fair = await startOrder(client, 'with keys');
    const fifo = await startOrder(client, 'without keys');
    expect(fair).toHaveLength(FLOOD + SMALL);
    expect(fifo).toHaveLength(FLOOD + SMALL);

    // Fair: each of the small seller's activities started before half the flood had; FIFO: after.
    const half = FLOOD / 2;
    const fairWaits = floodBeforeEachSmall(fair);
    const fifoWaits = floodBeforeEachSmall(fifo);
    expect({ fairWaits, allBeforeHalf: fairWaits.every((before) => before < half) }).toEqual({
      fairWaits,
      allBeforeHalf: true,
    });
    expect({ fifoWaits, allAfterHalf: fifoWaits.every((before) => before >= half) }).toEqual({
      fifoWaits,
      allAfterHalf: true,
    });

    // Each activity inherited its workflow's key: the seller the poller's start options named.
    const keyOf = (order: Started[]) => new Set(order.map((entry) => `${entry.sellerId} -> ${entry.fairnessKey}`));
    expect(keyOf(fair)).toEqual(new Set(['seller-big -> seller-big', 'seller-small -> seller-small']));
    expect(keyOf(fifo)).toEqual(new Set(['seller-big -> undefined', 'seller-small -> undefined']));
  });
});
