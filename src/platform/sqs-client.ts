import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config';

/** Without `SQS_ENDPOINT` this is real AWS, with credentials from the usual AWS provider chain. */
export function createSqsClient(config: Config): SQSClient {
  return new SQSClient({ region: config.aws.region, endpoint: config.aws.sqsEndpoint });
}
