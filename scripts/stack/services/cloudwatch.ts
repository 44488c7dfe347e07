/**
 * CloudWatch's API for local runs and tests: moto's server from PyPI, in a virtualenv under the
 * git-ignored tools folder, on loopback. It keeps metrics, alarms and dashboards in memory only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths';
import { findOnPath } from '../processes';
import type { StackService } from '../service';

/** Pinned: the tests read back what moto stores, and its behaviour moves between releases. */
const MOTO_REQUIREMENT = 'moto[server]==5.2.5';
const VENV_DIR = path.join(REPO_ROOT, '.tools', 'moto');
const VENV_PYTHON = path.join(VENV_DIR, 'bin', 'python');

/** Asynchronous: the other servers' start-up checks keep running during the install. */
async function run(command: string, args: string[]): Promise<void> {
  const [code] = (await once(spawn(command, args, { stdio: 'inherit' }), 'close')) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code})`);
}

/** Creates the virtualenv and installs moto once; a half-made one (no moto in it) is completed. */
async function ensureMoto(): Promise<string> {
  const installed = existsSync(VENV_PYTHON) && spawnSync(VENV_PYTHON, ['-c', 'import moto.server']).status === 0;
  if (installed) return VENV_PYTHON;
  const python = findOnPath('python3');
  if (!python) throw new Error('python3 is not installed; the local CloudWatch (moto) needs Python 3');
  console.log(`installing ${MOTO_REQUIREMENT} into ${path.relative(REPO_ROOT, VENV_DIR)}`);
  await run(python, ['-m', 'venv', VENV_DIR]);
  await run(VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', MOTO_REQUIREMENT]);
  return VENV_PYTHON;
}

export function cloudWatchService({ port }: { port: number }): StackService {
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    name: 'cloudwatch',
    stopSignal: 'SIGTERM',
    // The first start installs moto (about a minute).
    startTimeoutMs: 60_000,
    program: () => VENV_PYTHON,
    async prepare() {
      return {
        name: 'cloudwatch',
        command: await ensureMoto(),
        args: ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
      };
    },
    async isHealthy() {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return response.status === 200;
    },
    env: () => ({ CLOUDWATCH_ENDPOINT: endpoint }),
    summary: () => `CloudWatch (moto) ${endpoint}`,
  };
}
