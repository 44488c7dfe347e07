/** fauxqs, an SQS emulator from npm, with FIFO semantics and its state persisted under `.data/`. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsAnswers as sqsProbe } from '../../../src/platform/probes';
import { DATA_DIR } from '../paths';
import type { StackService } from '../service';

export const LOCAL_AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/** An SQS-compatible server answers ListQueues within two seconds (the service's own probe). */
export async function sqsAnswers(endpoint: string): Promise<boolean> {
  const sqs = new SQSClient({
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 2_000 },
    maxAttempts: 1,
  });
  try {
    await sqsProbe(sqs)();
    return true;
  } finally {
    sqs.destroy();
  }
}

export function sqsService({
  name = 'sqs',
  port,
  dataDir = path.join(DATA_DIR, 'sqs'),
}: {
  name?: string;
  port: number;
  dataDir?: string;
}): StackService {
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    name,
    stopSignal: 'SIGTERM',
    startTimeoutMs: 30_000,
    program: () => process.execPath,
    async prepare() {
      mkdirSync(dataDir, { recursive: true });
      return {
        name,
        // fauxqs needs Node >= 22.5 (node:sqlite): run it on this project's Node, not whatever `env node` finds.
        command: process.execPath,
        args: [path.join(__dirname, 'fauxqs-server.mjs')],
        env: {
          FAUXQS_PORT: String(port),
          FAUXQS_HOST: '127.0.0.1',
          FAUXQS_DEFAULT_REGION: LOCAL_AWS_ENV.AWS_REGION,
          FAUXQS_DATA_DIR: dataDir,
        },
      };
    },
    isHealthy: () => sqsAnswers(endpoint),
    env: () => ({ SQS_ENDPOINT: endpoint, ...LOCAL_AWS_ENV }),
    summary: () => `SQS (fauxqs) ${endpoint}`,
  };
}
