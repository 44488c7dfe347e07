import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QUEUES, queueName, type QueueDefinition } from './inventory';

/** Queue URLs by logical name, looked up once per process. */
export class QueueDirectory {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly prefix: string,
  ) {}

  url(queue: QueueDefinition): Promise<string> {
    let url = this.urls.get(queue.name);
    if (!url) {
      url = this.sqs.send(new GetQueueUrlCommand({ QueueName: queueName(queue, this.prefix) })).then(({ QueueUrl }) => {
        if (!QueueUrl) throw new Error(`no URL for queue ${queueName(queue, this.prefix)}; run npm run provision`);
        return QueueUrl;
      });
      url.catch(() => this.urls.delete(queue.name));
      this.urls.set(queue.name, url);
    }
    return url;
  }

  /** Visible messages per queue, for backpressure: an approximate figure, as SQS gives it. */
  async backlogs(queues: readonly QueueDefinition[] = QUEUES): Promise<Map<string, number>> {
    const entries = await Promise.all(
      queues.map(async (queue) => {
        const { Attributes } = await this.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: await this.url(queue),
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
        );
        return [queue.name, Number(Attributes?.ApproximateNumberOfMessages ?? 0)] as const;
      }),
    );
    return new Map(entries);
  }
}
