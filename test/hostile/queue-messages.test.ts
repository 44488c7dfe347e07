/**
 * Hostile bodies sent straight to the real SQS queues and consumed by the real pollers (in this
 * process, with stand-in workflows): each ends in its queue's DLQ with a `dlq-reason` naming the
 * problem and never starts a workflow, while the valid messages sent between them (on a FIFO queue:
 * of the same account, so in the same group) all complete, in order. On both SQS servers: fauxqs
 * takes messages up to 1 MiB, ElasticMQ (like older AWS queues) up to 256 KiB.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  completedKeys,
  expectHostileDeadLettered,
  hostileBodies,
  SQL_LOOKING,
  tableRowCounts,
} from '../support/hostile';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { sqsServers } from '../support/sqs';

jest.setTimeout(90_000);

describe.each(sqsServers())('hostile message bodies on %s', (server, sqsOverrides: NodeJS.ProcessEnv) => {
  let bench: PipelineBench;

  beforeAll(async () => {
    bench = await pipelineBench(['account', 'background', 'inventory'], sqsOverrides);
    await bench.startPoller('account-sync');
    await bench.startPoller('payout-sync');
    await bench.startPoller('inventory-deduct');
  });
  afterAll(() => bench?.close());

  it('FIFO: each hostile body goes to the DLQ with its reason; the account’s valid messages between them run in order', async () => {
    const account = `hostile-fifo-${server}`;
    const good = envelope('account.sync', account);
    const hostile = hostileBodies(good, envelope('payout.sync', account), { fifo: true });
    // One workflow at a time in the group: a valid message every fourth hostile body keeps it quick.
    await expectHostileDeadLettered(bench, 'account-sync', account, hostile, () => envelope('account.sync', account), {
      spacing: 4,
    });
  });

  it('seller work: a message in a group that is not its seller’s, or naming no seller, goes to the DLQ with its reason', async () => {
    const seller = `hostile-seller-${server}`;
    const good = envelope('inventory.deduct', seller, { skuId: 'S-1', quantity: 1 });
    const hostile = [
      {
        // Its own account's group, the seller's other account, another seller: all but the seller's is misrouted.
        name: "another seller's deduct in this seller's group",
        body: JSON.stringify({ ...good, sellerId: 'other-seller', idempotencyKey: 'inventory.deduct:other:1' }),
        reason: `misrouted: FIFO group "${seller}" is not "other-seller", the group of inventory.deduct for the seller other-seller`,
      },
      {
        name: 'a publish naming no seller',
        body: JSON.stringify({ ...good, type: 'inventory.publish', sellerId: undefined, idempotencyKey: 'p:1' }),
        reason: 'schema violation: sellerId: is required for inventory.publish',
      },
      {
        name: 'a repair naming no seller',
        body: JSON.stringify({ ...good, type: 'inventory.repair', sellerId: undefined, idempotencyKey: 'r:1' }),
        reason: 'schema violation: sellerId: is required for inventory.repair',
      },
    ];
    await expectHostileDeadLettered(bench, 'inventory-deduct', seller, hostile, () =>
      envelope('inventory.deduct', seller, { skuId: 'S-1', quantity: 1 }),
    );
  });

  it('Standard: each hostile body goes to the DLQ with its reason; the valid messages around them run', async () => {
    const account = `hostile-std-${server}`;
    const good = envelope('payout.sync', account);
    const hostile = hostileBodies(good, envelope('account.sync', account), { fifo: false });
    await expectHostileDeadLettered(bench, 'payout-sync', account, hostile, () => envelope('payout.sync', account));
  });

  it('a body as large as the queue takes is dead-lettered with its head and a note, not offered again', async () => {
    const account = `hostile-huge-${server}`;
    const { Attributes } = await bench.t.deps.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: bench.t.queueUrl('account-sync'),
        AttributeNames: ['MaximumMessageSize'],
      }),
    );
    // fauxqs says 1 MiB; ElasticMQ does not say, and takes 256 KiB.
    const limit = Number(Attributes?.MaximumMessageSize ?? 256 * 1024);
    const huge = `{"v":1,"junk":"${'x'.repeat(limit - 100)}"}`;
    const hostile = [
      {
        name: 'at the size limit',
        body: huge,
        reason: 'oversized: body exceeds 8192 bytes (body cut to its first 65536 of',
      },
    ];
    await expectHostileDeadLettered(bench, 'account-sync', account, hostile, () => envelope('account.sync', account));
  });

  it('SQL-looking text in a valid payload is only data: the workflow runs and every table is intact', async () => {
    const before = await tableRowCounts(bench.t.deps.pool);
    const account = `hostile-sql-${server}`;
    const message = envelope('account.sync', account, { note: SQL_LOOKING, [`x${'_'.repeat(10)}`]: SQL_LOOKING });
    await bench.send('account-sync', message);
    expect(
      await eventually(
        () => completedKeys(bench, account),
        (keys) => keys.length === 1,
      ),
    ).toEqual([message.idempotencyKey]);
    expect(await tableRowCounts(bench.t.deps.pool)).toEqual(before);
  });
});
