/** fauxqs, an SQS emulator from npm, with FIFO semantics and its state persisted under `.data/`. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DATA_DIR } from '../paths';
import type { StackService } from '../service';

export const LOCAL_AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/** fauxqs exports only an ES module entry point, so its manifest is found along Node's search paths. */
function fauxqsEntryPoint(): string {
  const manifestPath = (require.resolve.paths('fauxqs') ?? [])
    .map((nodeModules) => path.join(nodeModules, 'fauxqs', 'package.json'))
    .find((candidate) => existsSync(candidate));
  if (!manifestPath) throw new Error('fauxqs is not installed; run npm ci');
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: string | Record<string, string> };
  const relative = typeof bin === 'string' ? bin : bin.fauxqs;
  if (!relative) throw new Error('fauxqs/package.json names no fauxqs binary');
  return path.join(path.dirname(manifestPath), relative);
}

export function sqsService({ port }: { port: number }): StackService {
  const endpoint = `http://127.0.0.1:${port}`;
  const dataDir = path.join(DATA_DIR, 'sqs');
  return {
    name: 'sqs',
    stopSignal: 'SIGTERM',
    startTimeoutMs: 30_000,
    program: () => process.execPath,
    async prepare() {
      mkdirSync(dataDir, { recursive: true });
      return {
        name: 'sqs',
        // fauxqs needs Node >= 22.5 (node:sqlite): run it on this project's Node, not whatever `env node` finds.
        command: process.execPath,
        args: [fauxqsEntryPoint()],
        env: {
          FAUXQS_PORT: String(port),
          FAUXQS_HOST: '127.0.0.1',
          FAUXQS_DEFAULT_REGION: LOCAL_AWS_ENV.AWS_REGION,
          FAUXQS_DATA_DIR: dataDir,
          FAUXQS_PERSISTENCE: 'true',
          FAUXQS_LOGGER: 'false',
        },
      };
    },
    async isHealthy() {
      const sqs = new SQSClient({
        endpoint,
        region: LOCAL_AWS_ENV.AWS_REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        await sqs.send(new ListQueuesCommand({}), { abortSignal: AbortSignal.timeout(2000) });
        return true;
      } finally {
        sqs.destroy();
      }
    },
    env: () => ({ SQS_ENDPOINT: endpoint, ...LOCAL_AWS_ENV }),
    summary: () => `SQS (fauxqs) ${endpoint}`,
  };
}
