/**
 * ElasticMQ, a second SQS-compatible server for the test suite: like AWS it returns several messages
 * of one FIFO group in a single receive, which fauxqs never does and which would hide ordering bugs.
 * Built from Maven Central artifacts into `.tools/elasticmq` on first use; runs on the machine's Java.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR, REPO_ROOT } from '../paths';
import { findOnPath } from '../processes';
import type { StackService } from '../service';
import { sqsAnswers } from './sqs';

const LIB_DIR = path.join(REPO_ROOT, '.tools', 'elasticmq', 'lib');
const POM = path.join(__dirname, '..', 'elasticmq', 'pom.xml');

function ensureInstalled(): void {
  const installed = existsSync(LIB_DIR) && readdirSync(LIB_DIR).some((jar) => jar.startsWith('elasticmq-server'));
  if (installed) return;
  if (!findOnPath('java') || !findOnPath('mvn')) throw new Error('ElasticMQ needs java and mvn on PATH');
  console.log('elasticmq: fetching ElasticMQ from Maven Central into .tools/elasticmq');
  // Maven's output (colour codes even in batch mode) is shown only when it fails.
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${LIB_DIR}`],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`mvn could not fetch ElasticMQ:\n${result.stdout}${result.stderr}`);
}

export function elasticMqService({ port }: { port: number }): StackService {
  const endpoint = `http://127.0.0.1:${port}`;
  const dataDir = path.join(DATA_DIR, 'elasticmq');
  return {
    name: 'elasticmq',
    stopSignal: 'SIGTERM',
    startTimeoutMs: 60_000,
    program: () => 'java',
    async prepare() {
      ensureInstalled();
      mkdirSync(dataDir, { recursive: true });
      const configFile = path.join(dataDir, 'elasticmq.conf');
      writeFileSync(
        configFile,
        [
          'include classpath("application.conf")',
          `node-address { protocol = http, host = 127.0.0.1, port = ${port}, context-path = "" }`,
          `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }`,
          'rest-stats { enabled = false }',
          '',
        ].join('\n'),
      );
      return {
        name: 'elasticmq',
        command: findOnPath('java') ?? 'java',
        args: ['-Xmx256m', `-Dconfig.file=${configFile}`, '-cp', `${LIB_DIR}/*`, 'org.elasticmq.server.Main'],
      };
    },
    isHealthy: () => sqsAnswers(endpoint),
    env: () => ({ ELASTICMQ_ENDPOINT: endpoint }),
    summary: () => `SQS (ElasticMQ, tests) ${endpoint}`,
  };
}
