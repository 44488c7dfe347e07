/**
 * Creates every queue of the catalogue with its DLQ and redrive policy, or brings existing ones to
 * the inventory's settings. The same code runs against real AWS and the local emulator; running it
 * twice changes nothing.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DLQ_RETENTION_SECONDS, QUEUES, deadLetterQueueName, queueName, type QueueDefinition } from './catalogue';

export interface ProvisionedQueue {
  queue: QueueDefinition;
  url: string;
  dlqUrl: string;
}

type Attributes = Record<string, string>;

/** High-throughput FIFO: deduplication and throughput are per account, not per queue. */
const FIFO_ATTRIBUTES: Attributes = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'messageGroup',
  FifoThroughputLimit: 'perMessageGroupId',
};

/** JSON-valued attributes compare by content: SQS may re-serialise them. */
function sameValue(name: string, current: string | undefined, wanted: string): boolean {
  if (current === undefined || name !== 'RedrivePolicy') return current === wanted;
  const normalise = (json: string) => {
    const { deadLetterTargetArn, maxReceiveCount } = JSON.parse(json) as Record<string, unknown>;
    return `${String(deadLetterTargetArn)}:${String(maxReceiveCount)}`;
  };
  return normalise(current) === normalise(wanted);
}

/**
 * Only the attributes that differ are set: an update then touches nothing on a queue that is already
 * right (and never sends `FifoQueue`, which is fixed at creation).
 */
async function updateQueue(sqs: SQSClient, url: string, wanted: Attributes): Promise<void> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  const current: Attributes = Attributes ?? {};
  if (wanted.FifoQueue && current.FifoQueue !== wanted.FifoQueue) {
    throw new Error(`${url} exists but is not a FIFO queue; it must be deleted and provisioned again`);
  }
  const changed = Object.fromEntries(
    Object.entries(wanted).filter(([name, value]) => !sameValue(name, current[name], value)),
  );
  if (Object.keys(changed).length)
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: changed }));
}

async function findQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (error instanceof QueueDoesNotExist) return undefined;
    throw error;
  }
}

async function ensureQueue(sqs: SQSClient, name: string, attributes: Attributes): Promise<string> {
  const existing = await findQueueUrl(sqs, name);
  if (existing) {
    await updateQueue(sqs, existing, attributes);
    return existing;
  }
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!created.QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return created.QueueUrl;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${url}`);
  return Attributes.QueueArn;
}

async function provisionQueue(sqs: SQSClient, queue: QueueDefinition, prefix: string): Promise<ProvisionedQueue> {
  const fifo = queue.fifo ? FIFO_ATTRIBUTES : {};
  const dlqUrl = await ensureQueue(sqs, deadLetterQueueName(queue, prefix), {
    ...fifo,
    MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
  });
  const redrivePolicy = { deadLetterTargetArn: await queueArn(sqs, dlqUrl), maxReceiveCount: queue.maxReceiveCount };
  const url = await ensureQueue(sqs, queueName(queue, prefix), {
    ...fifo,
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(queue.retentionSeconds),
    ReceiveMessageWaitTimeSeconds: '20',
    RedrivePolicy: JSON.stringify(redrivePolicy),
  });
  return { queue, url, dlqUrl };
}

export async function provisionQueues(
  sqs: SQSClient,
  prefix: string,
  queues: readonly QueueDefinition[] = QUEUES,
): Promise<ProvisionedQueue[]> {
  return Promise.all(queues.map((queue) => provisionQueue(sqs, queue, prefix)));
}
