/**
 * The Temporal CLI dev server, with its Web UI and history persisted in SQLite under `.data/`.
 * A `temporal` on PATH is used as it is; otherwise the CLI is built once into `.tools/bin`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../../src/contracts/search-attributes';
import { temporalProbe } from '../../../src/platform/probes';
import { NAMESPACE_RETENTION_SECONDS } from '../../../src/queues/catalogue';
import { DATA_DIR, TOOLS_BIN } from '../paths';
import { findOnPath } from '../processes';
import type { StackService } from '../service';

/** The newest tag whose go.mod has no `replace` directive, which `go install pkg@version` refuses. */
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const BUILT_CLI = path.join(TOOLS_BIN, 'temporal');

/** The CLI's spelling of the SDK's search attribute types. */
const CLI_ATTRIBUTE_TYPES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** The server's IndexedValueType numbers, for registering attributes with a running server. */
const INDEXED_VALUE_TYPES: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/**
 * `--search-attribute` takes effect when the server starts; a server already running (from before an
 * attribute was added) gets the missing ones here.
 */
async function registerMissingSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((key) => customAttributes?.[key.name] === undefined);
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]])),
    });
  } finally {
    await connection.close();
  }
}

/**
 * The dev server creates its namespace with a one-day retention; the poller needs closed runs kept as
 * long as a dead letter may wait (src/queues/catalogue.ts NAMESPACE_RETENTION_SECONDS).
 */
export async function setNamespaceRetention(
  address: string,
  namespace: string,
  seconds = NAMESPACE_RETENTION_SECONDS,
): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(seconds * 1_000) },
    });
  } finally {
    await connection.close();
  }
}

function locateCli(): string | undefined {
  return findOnPath('temporal') ?? (existsSync(BUILT_CLI) ? BUILT_CLI : undefined);
}

async function buildCli(): Promise<string> {
  if (!findOnPath('go')) throw new Error('no `temporal` on PATH and no Go toolchain to build it with');
  console.log(
    `temporal: building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into .tools/bin; the first build takes minutes`,
  );
  mkdirSync(TOOLS_BIN, { recursive: true });
  const started = Date.now();
  const go = spawn('go', ['install', '-v', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, GOBIN: TOOLS_BIN, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  // `go install -v` names each package as it compiles: count them as progress instead of flooding the terminal.
  let built = 0;
  go.stderr.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      if (line.startsWith('go: downloading')) continue;
      built += 1;
      if (built % 100 === 0)
        console.log(`temporal: ${built} packages compiled (${Math.round((Date.now() - started) / 1000)} s)`);
      if (/error|cannot|fatal/i.test(line)) console.error(`temporal: ${line}`);
    }
  });
  const code = await new Promise<number | null>((resolve) => go.on('close', resolve));
  if (code !== 0 || !existsSync(BUILT_CLI)) throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed (exit ${code})`);
  console.log(`temporal: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return BUILT_CLI;
}

/**
 * SQLite settings of the dev server's history file (issue 17). The server writes through one SQLite
 * connection, so each commit's cost bounds every figure: at SQLite's defaults (rollback journal,
 * synchronous=FULL) each commit syncs the journal and the database. WAL with synchronous=NORMAL syncs
 * only at checkpoints and is durable across a crash of the server process (a power cut may lose the
 * last commits, which a local stack accepts); `test/stack/temporal-restart.test.ts` kills the server
 * and reads its history back. The rest keep pages in memory and checkpoint less often. Measured
 * (raw client + worker, one activity per workflow; `scripts/bench/raw-temporal.ts`): the server's CPU per
 * workflow fell from about 80 ms to about 40; synchronous=OFF and an in-memory database were no faster,
 * nor was one task-queue partition instead of four (so the partition count stays at the CLI's default).
 */
export const SQLITE_PRAGMAS = {
  journal_mode: 'wal',
  synchronous: 'normal',
  // 64 MiB of page cache (negative: KiB) instead of 2 MiB, and temporary tables in memory.
  cache_size: '-65536',
  temp_store: 'memory',
  mmap_size: '268435456',
  // Checkpoint every 10,000 pages (40 MiB of WAL) instead of every 1,000.
  wal_autocheckpoint: '10000',
} as const;

const sqlitePragmaArgs = (): string[] =>
  Object.entries(SQLITE_PRAGMAS).flatMap(([pragma, value]) => ['--sqlite-pragma', `${pragma}=${value}`]);

/**
 * Per-seller fairness (src/pollers/fairness.ts): the matching service dispatches each task queue's
 * backlog key by key only with both on; without them the keys are ignored and dispatch is FIFO.
 * Measured on the embedded server (1.29.1), 2 activity slots, 200 workflows of one key then 5 of
 * another: the small key's completions came at positions 11–145 of 205 with these, 167–188 without.
 * A self-hosted cluster sets the same keys in its dynamic config (docs/operations.md, "Fairness").
 *
 * One partition per task queue: the matcher is fair within a partition, and a worker's pollers pick
 * partitions at random, so with the default four a small seller's task still queued behind the flood's
 * in its partition. `npm run bench:fairness`, 800 flooding workflows, the small seller's workflow start →
 * activity p99: alone 239–343 ms; fair with 4 partitions 1,400–2,980 ms, with 1 partition 481–581 ms;
 * FIFO 22–39 s. One partition was no slower for raw throughput here (scripts/bench/raw-temporal.ts).
 */
export const FAIRNESS_DYNAMIC_CONFIG = {
  'matching.enableFairness': 'true',
  'matching.useNewMatcher': 'true',
  'matching.numTaskqueueReadPartitions': '1',
  'matching.numTaskqueueWritePartitions': '1',
} as const;

const dynamicConfigArgs = (): string[] =>
  Object.entries(FAIRNESS_DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]);

export interface TemporalServerOptions {
  name: string;
  port: number;
  uiPort: number;
  dataDir: string;
  namespace?: string;
}

export function temporalService({
  name,
  port,
  uiPort,
  dataDir,
  namespace = 'default',
}: TemporalServerOptions): StackService {
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  return {
    name,
    stopSignal: 'SIGTERM',
    // The first start after a cold build, on a busy two-core machine, has taken over 90 s.
    startTimeoutMs: 180_000,
    program: () => locateCli() ?? BUILT_CLI,
    async prepare() {
      const cli = locateCli() ?? (await buildCli());
      mkdirSync(dataDir, { recursive: true });
      const searchAttributes = CUSTOM_SEARCH_ATTRIBUTES.flatMap((key) => [
        '--search-attribute',
        `${key.name}=${CLI_ATTRIBUTE_TYPES[key.type]}`,
      ]);
      return {
        name,
        command: cli,
        args: [
          'server',
          'start-dev',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--ui-port',
          String(uiPort),
          '--db-filename',
          path.join(dataDir, 'temporal.db'),
          ...sqlitePragmaArgs(),
          ...dynamicConfigArgs(),
          '--namespace',
          namespace,
          '--log-level',
          'warn',
          ...searchAttributes,
        ],
      };
    },
    async isHealthy() {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await temporalProbe(new Client({ connection, namespace }), namespace)();
        const ui = await fetch(uiUrl, { signal: AbortSignal.timeout(2000) });
        return ui.ok;
      } finally {
        await connection.close();
      }
    },
    async afterStart() {
      await registerMissingSearchAttributes(address, namespace);
      await setNamespaceRetention(address, namespace);
    },
    env: () => ({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_UI_URL: uiUrl }),
    summary: () => `Temporal ${address}, Web UI ${uiUrl}`,
  };
}

export const DEFAULT_TEMPORAL_DATA_DIR = path.join(DATA_DIR, 'temporal');
