/**
 * The stack's SQS server keeps queues and messages across a restart. A second server from the same
 * service definition, on its own port and data folder, so stopping it disturbs no other test.
 */
import { privateDataDir, usePrivateServer } from '../support/private-server';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { portFromEnv } from '../../scripts/stack/service';
import { LOCAL_AWS_ENV, sqsService } from '../../scripts/stack/services/sqs';
import { startService, stopService } from '../../scripts/stack/stack';
import { findQueue } from '../../src/queues/catalogue';
import { provisionQueues } from '../../src/queues/provision';

jest.setTimeout(60_000);

const port = portFromEnv('STACK_TEST_SQS_PORT', 24566);
const dataDir = privateDataDir('sqs-restart');
const server = sqsService({ name: 'sqs-restart-test', port, dataDir });
usePrivateServer(server, dataDir);
const client = () =>
  new SQSClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

it('keeps provisioned queues and an unreceived FIFO message across a restart', async () => {
  const before = client();
  const [provisioned] = await provisionQueues(before, 'restart-', [findQueue('account-sync')]);
  await before.send(
    new SendMessageCommand({
      QueueUrl: provisioned!.url,
      MessageBody: 'survives',
      MessageGroupId: 'acct-1',
      MessageDeduplicationId: 'restart:1',
    }),
  );
  before.destroy();

  expect(await stopService(server)).toBe(true);
  await startService(server);

  const after = client();
  const { Messages = [] } = await after.send(
    new ReceiveMessageCommand({ QueueUrl: provisioned!.url, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
  );
  after.destroy();
  expect(Messages.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([['survives', 'acct-1']]);
});
