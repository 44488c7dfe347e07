/**
 * The chaos run's SQS fault proxy, in front of the stack's ElasticMQ: inside a window it loses
 * exactly the answers of the named family, after the server applied the call; everything else, and
 * everything outside a window, passes byte for byte.
 */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { SqsFaultProxy } from '../../scripts/chaos/sqs-proxy';

const upstream = () => {
  const endpoint = process.env.ELASTICMQ_ENDPOINT;
  if (!endpoint) throw new Error('ELASTICMQ_ENDPOINT is not set: run the suite through npm test (stack:up writes it)');
  return endpoint;
};
const client = (endpoint: string) =>
  // One attempt: the test sees each lost answer instead of the SDK's retry of it.
  new SQSClient({ region: process.env.AWS_REGION ?? 'us-east-1', endpoint, maxAttempts: 1 });

let proxy: SqsFaultProxy;
let direct: SQSClient;
let proxied: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  proxy = new SqsFaultProxy(upstream(), 0, 1);
  await proxy.start();
  direct = client(upstream());
  proxied = client(proxy.endpoint);
  ({ QueueUrl: queueUrl = '' } = await direct.send(new CreateQueueCommand({ QueueName: `proxy-${randomUUID()}` })));
});
afterAll(async () => {
  await direct?.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  direct?.destroy();
  proxied?.destroy();
  await proxy?.stop();
});
afterEach(() => proxy.endLoss());

async function depth(): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await direct.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

const receiveDirect = async () =>
  (await direct.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 })))
    .Messages ?? [];

it('loses a send answer after the server stored the message, and only sends', async () => {
  proxy.loseAnswers('send', 1);
  await expect(proxied.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'sent' }))).rejects.toThrow();
  // Another family's call in the same window is answered.
  expect(await proxied.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl }))).toBeDefined();
  expect(proxy.endLoss()).toEqual({ family: 'send', seen: { SendMessage: 1 }, lost: { SendMessage: 1 } });
  const stored = await receiveDirect();
  expect(stored.map((m) => m.Body)).toEqual(['sent']);
  await direct.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: stored[0]!.ReceiptHandle }));
});

it('loses a receive answer after the server made the message invisible', async () => {
  await direct.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'received' }));
  proxy.loseAnswers('receive', 1);
  await expect(proxied.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 1 }))).rejects.toThrow();
  expect(proxy.endLoss()?.lost).toEqual({ ReceiveMessage: 1 });
  expect(await depth()).toEqual({ visible: 0, inFlight: 1 });
  // Back after its visibility timeout, as SQS gives back any message whose receiver went silent.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const back = await receiveDirect();
  expect(back.map((m) => m.Body)).toEqual(['received']);
  await direct.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: back[0]!.ReceiptHandle }));
});

it('loses a delete answer after the server deleted the message', async () => {
  await direct.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'deleted' }));
  const [message] = await receiveDirect();
  proxy.loseAnswers('delete', 1);
  await expect(
    proxied.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle })),
  ).rejects.toThrow();
  expect(proxy.endLoss()?.lost).toEqual({ DeleteMessage: 1 });
  expect(await depth()).toEqual({ visible: 0, inFlight: 0 });
  expect(proxy.lostTotals).toEqual({ send: 1, receive: 1, delete: 1 });
});

it('forwards requests and answers byte for byte outside a window, in both SQS protocols', async () => {
  const ask = (endpoint: string, init: RequestInit) => fetch(endpoint, init);
  const json: RequestInit = {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueAttributes' },
    body: JSON.stringify({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }),
  };
  const query: RequestInit = {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Action: 'GetQueueUrl', QueueName: new URL(queueUrl).pathname.split('/').pop()! }),
  };
  for (const init of [json, query]) {
    const [viaServer, viaProxy] = await Promise.all([ask(upstream(), init), ask(proxy.endpoint, init)]);
    const strip = (headers: Headers) =>
      [...headers].filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name));
    expect(viaProxy.status).toBe(viaServer.status);
    expect(strip(viaProxy.headers)).toEqual(strip(viaServer.headers));
    expect(Buffer.from(await viaProxy.arrayBuffer())).toEqual(Buffer.from(await viaServer.arrayBuffer()));
  }
  // A window of one family leaves the query protocol's other actions alone but names its own.
  proxy.loseAnswers('send', 1);
  await expect(
    ask(proxy.endpoint, {
      ...query,
      body: new URLSearchParams({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'query' }),
    }),
  ).rejects.toThrow();
  expect(proxy.endLoss()?.lost).toEqual({ SendMessage: 1 });
  const stored = await receiveDirect();
  expect(stored.map((m) => m.Body)).toEqual(['query']);
  await direct.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: stored[0]!.ReceiptHandle }));
});
