import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QUEUES, deadLetterQueueName, queueName, type QueueDefinition } from './catalogue';

/** SQS's approximate message counts of one queue. */
export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** Queue URLs by queue definition, looked up once per process. */
export class QueueDirectory {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly prefix: string,
  ) {}

  url(queue: QueueDefinition): Promise<string> {
    return this.lookUp(queueName(queue, this.prefix));
  }

  deadLetterUrl(queue: QueueDefinition): Promise<string> {
    return this.lookUp(deadLetterQueueName(queue, this.prefix));
  }

  private lookUp(name: string): Promise<string> {
    let url = this.urls.get(name);
    if (!url) {
      url = this.sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(({ QueueUrl }) => {
        if (!QueueUrl) throw new Error(`no URL for queue ${name}; run npm run provision`);
        return QueueUrl;
      });
      url.catch(() => this.urls.delete(name));
      this.urls.set(name, url);
    }
    return url;
  }

  async depth(queueUrl: string): Promise<QueueDepth> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  /** Visible messages per queue, for backpressure. */
  async backlogs(queues: readonly QueueDefinition[] = QUEUES): Promise<Map<string, number>> {
    const entries = await Promise.all(
      queues.map(async (queue) => [queue.name, (await this.depth(await this.url(queue))).visible] as const),
    );
    return new Map(entries);
  }
}
