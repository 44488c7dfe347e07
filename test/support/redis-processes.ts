/**
 * redis-server processes of a test's own (masters, replicas, sentinels, TLS), on ports the test took
 * from the kernel (src/platform/free-ports.ts), with their files in a temp folder. Every one started is
 * killed by `killAll` (the test's afterAll), also when the test failed half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisProcess {
  port: number;
  child: ChildProcess;
  output: () => string;
}

/** The stack's Redis settings (AOF every second, no eviction), which BullMQ needs. */
const BULLMQ_SETTINGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'];

export function redisProcesses(name: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const started: RedisProcess[] = [];

  const start = (port: number, args: string[]): RedisProcess => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const server = { port, child, output: () => output };
    started.push(server);
    return server;
  };

  /** A data server: `extra` adds settings such as `--replicaof`. Its data folder is kept across restarts. */
  const server = (port: number, extra: string[] = []) => {
    const dataDir = path.join(dir, String(port));
    rmSync(dataDir, { recursive: true, force: true });
    return start(port, serverArgs(port, dataDir, extra));
  };
  const serverArgs = (port: number, dataDir: string, extra: string[]) => {
    mkdirSync(dataDir, { recursive: true });
    return [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dataDir,
      '--save',
      '',
      ...BULLMQ_SETTINGS,
      ...extra,
    ];
  };
  /** Starts a server again on its old data folder (a crashed master coming back). */
  const restart = (port: number, extra: string[] = []) =>
    start(port, serverArgs(port, path.join(dir, String(port)), extra));

  /**
   * A sentinel watching `masterName` at `masterPort`, with `settings` (`sentinel …` lines, MASTER for
   * the name) and `serverConfig` (other lines, later ones win); Sentinel rewrites its config file, so each has its own.
   */
  const sentinel = (
    port: number,
    masterName: string,
    masterPort: number,
    settings: string[],
    serverConfig: string[] = [],
  ) => {
    const file = path.join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
        ...settings.map((line) => `sentinel ${line.replace('MASTER', masterName)}`),
        ...serverConfig,
        '',
      ].join('\n'),
    );
    return start(port, [file, '--sentinel']);
  };

  /** Resolves once the server last started on `port` answers; fails at once, with its output, if it exited. */
  const ready = (port: number, options: RedisOptions = {}) => {
    const server = started.findLast((candidate) => candidate.port === port);
    if (!server) throw new Error(`no redis-server was started on ${port}`);
    return waitForRedis(server, options);
  };

  const killAll = async () => {
    await Promise.all(started.map(({ child }) => kill(child)));
    rmSync(dir, { recursive: true, force: true });
  };

  return { dir, server, restart, sentinel, ready, killAll };
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
const lastLines = (output: string) => output.trim().split('\n').slice(-5).join(' | ') || '(nothing)';

export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/**
 * Resolves once `server` answers a PING (with `options`, e.g. TLS), or throws after `timeoutMs`;
 * throws as soon as it has exited, with what it printed (such as a port it could not bind),
 * instead of waiting out the time for a server that is gone.
 */
async function waitForRedis({ port, child, output }: RedisProcess, options: RedisOptions, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited(child)) throw new Error(`redis on ${port} exited before it answered: ${lastLines(output())}`);
    // Each probe is bounded: whatever else holds the port may accept a connection and never answer.
    const redis = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      ...options,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `redis on ${port} did not answer: ${(error as Error).message}; it printed: ${lastLines(output())}`,
        );
      }
    } finally {
      redis.disconnect();
    }
    await sleep(100);
  }
}
