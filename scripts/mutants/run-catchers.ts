/**
 * Runs a mutant's catcher test files in a scratch copy and reads Jest's JSON report: a test that
 * failed is a catch; a suite that could not run (a syntax or import error: "Test suite failed to
 * run") is no catch but a broken mutant; a run that matched no test is a catcher that proves nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleLocation, staleBundleReason } from '../../src/platform/workflow-bundle';

export type Verdict = 'failed' | 'passed' | 'broken' | 'no-tests' | 'timed-out';

export interface CatcherRun {
  verdict: Verdict;
  seconds: number;
  /** Failed test names, or why the suites could not run: what the table's notes show. */
  detail: string;
  logFile: string;
}

interface JestReport {
  numFailedTests: number;
  numPassedTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: { name: string; message: string; assertionResults: { fullName: string; status: string }[] }[];
}

/** Generous: the slowest catcher takes about two minutes on two busy cores. */
const RUN_TIMEOUT_MS = 15 * 60_000;

/** Process groups of the runs under way: an interrupted `npm run mutants` stops them with itself. */
const running = new Set<number>();

export function stopRunningCatchers(): void {
  for (const pid of running) process.kill(-pid, 'SIGKILL');
  running.clear();
}

function run(
  command: string,
  args: string[],
  cwd: string,
  logFile: string,
): Promise<{ code: number | null; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid!);
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole group: Jest's workers and whatever the tests started.
      process.kill(-child.pid!, 'SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child.pid!);
      clearTimeout(timer);
      writeFileSync(logFile, Buffer.concat(output));
      resolve({ code, timedOut });
    });
  });
}

/** The copy's workflow bundle, built from its (maybe mutated) sources, if the catchers would need one. */
export async function buildWorkflowBundleIn(copy: string, logFile: string): Promise<void> {
  if (staleBundleReason(bundleLocation(copy)) === undefined) return;
  const tsx = path.join(copy, 'node_modules', '.bin', 'tsx');
  const built = await run(process.execPath, [tsx, 'src/commands/build-workflow-bundle.ts'], copy, logFile);
  if (built.code !== 0) throw new Error(`building the workflow bundle in ${copy} failed: see ${logFile}`);
}

function readReport(file: string): JestReport | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as JestReport;
}

const NOTE_MAX_CHARS = 90;

function shortened(text: string): string {
  return text.length <= NOTE_MAX_CHARS ? text : `${text.slice(0, NOTE_MAX_CHARS - 1)}…`;
}

function verdictOf(report: JestReport): { verdict: Verdict; detail: string } {
  if (report.numRuntimeErrorTestSuites > 0) {
    const firstLine = (message: string) => message.split('\n').find((line) => line.trim() !== '') ?? '';
    const messages = report.testResults.filter((r) => r.message && r.assertionResults.length === 0);
    return { verdict: 'broken', detail: messages.map((r) => firstLine(r.message).trim()).join('; ') };
  }
  if (report.numFailedTests > 0) {
    const failed = report.testResults.flatMap((r) => r.assertionResults.filter((a) => a.status === 'failed'));
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
    return { verdict: 'failed', detail: `${shortened(failed[0]!.fullName)}${more}` };
  }
  if (report.numPassedTests === 0) return { verdict: 'no-tests', detail: 'no test matched the catchers' };
  return { verdict: 'passed', detail: `${report.numPassedTests} tests passed` };
}

export async function runCatchers(
  copy: string,
  catchers: readonly string[],
  testName: string | undefined,
  logFile: string,
): Promise<CatcherRun> {
  const started = Date.now();
  const reportFile = path.join(copy, '.mutant-jest-report.json');
  const jest = path.join(copy, 'node_modules', 'jest', 'bin', 'jest.js');
  const args = [jest, '--ci', '--runInBand', '--json', `--outputFile=${reportFile}`, ...catchers];
  if (testName) args.push('--testNamePattern', testName);
  const { code, timedOut } = await run(process.execPath, args, copy, logFile);
  const seconds = Math.round((Date.now() - started) / 1_000);
  if (timedOut)
    return { verdict: 'timed-out', seconds, detail: `no end within ${RUN_TIMEOUT_MS / 60_000} min`, logFile };
  const report = readReport(reportFile);
  if (!report) return { verdict: 'broken', seconds, detail: `jest exited ${code} without a report`, logFile };
  return { ...verdictOf(report), seconds, logFile };
}
