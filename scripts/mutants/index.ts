/**
 * `npm run mutants`: plants each deliberate bug of the catalogue (catalogue.ts) in a scratch copy of
 * the working tree, runs the test files that should catch it, and prints mutant | expected catcher |
 * caught | seconds. Exits 1 if a mutant survived, was broken (its catchers could not run) or is
 * stale (its text is no longer in its file exactly once). Against the running local stack, like the
 * tests; not part of `npm test`.
 *
 *   --list           the mutants and their catchers, nothing run
 *   --only <name>    one mutant (repeatable)
 *   --baseline       first runs each catcher set on an unmutated copy: it must pass, so a catch
 *                    cannot come from a test that fails anyway
 *
 * MUTANTS_SCRATCH_DIR: where the copies go (default: the OS temp dir); each is removed after its
 * run. The catchers' output is kept in `<scratch dir>/logs/<mutant>.log`.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMain } from '../../src/platform/main';
import { REPO_ROOT } from '../stack/paths';
import { MUTANTS, type Mutant } from './catalogue';
import { buildWorkflowBundleIn, runCatchers, stopRunningCatchers, type CatcherRun } from './run-catchers';
import { makeScratchCopy, plant, removeScratchCopy, staleness } from './scratch';

interface Row {
  name: string;
  catcher: string;
  caught: string;
  seconds: number;
  note: string;
}

function catcherLabel(mutant: Pick<Mutant, 'catchers' | 'testName'>): string {
  const files = mutant.catchers.map((file) => path.basename(file)).join(', ');
  return mutant.testName ? `${files} -t "${mutant.testName}"` : files;
}

function printTable(rows: readonly Row[]): void {
  const header: Row = { name: 'mutant', catcher: 'expected catcher', caught: 'caught', seconds: 0, note: 'notes' };
  const cells = (row: Row, isHeader = false) => [
    row.name,
    row.catcher,
    row.caught,
    isHeader ? 'seconds' : String(row.seconds),
    row.note,
  ];
  const table = [cells(header, true), ...rows.map((row) => cells(row))];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  for (const line of table) {
    console.log(
      line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!))).join(' | '),
    );
  }
}

/** The copy in use: an interrupted run removes it, and stops its catchers, before it exits. */
let copyInUse: string | undefined;

function removeCopyOnInterrupt(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopRunningCatchers();
      if (copyInUse) removeScratchCopy(copyInUse);
      process.exit(130);
    });
  }
}

/** Copy, plant (or not), build what the catchers load, run them; the copy is removed whatever happens. */
async function inScratchCopy(
  scratchRoot: string,
  label: string,
  mutant: Mutant | undefined,
  catchers: Pick<Mutant, 'catchers' | 'testName'>,
): Promise<CatcherRun> {
  const copy = makeScratchCopy(REPO_ROOT, scratchRoot, label);
  copyInUse = copy;
  const logFile = path.join(scratchRoot, 'logs', `${label}.log`);
  try {
    if (mutant) plant(copy, mutant);
    await buildWorkflowBundleIn(copy, logFile);
    return await runCatchers(copy, catchers.catchers, catchers.testName, logFile);
  } finally {
    removeScratchCopy(copy);
    copyInUse = undefined;
  }
}

function mutantRow(mutant: Mutant, run: CatcherRun): Row {
  const caught = run.verdict === 'failed' ? 'yes' : run.verdict === 'broken' ? 'no (broken mutant)' : 'no';
  const note = run.verdict === 'failed' ? run.detail : `${run.verdict}: ${run.detail} (log: ${run.logFile})`;
  return { name: mutant.name, catcher: catcherLabel(mutant), caught, seconds: run.seconds, note };
}

/** Each distinct catcher set once, unmutated: every one must pass. */
async function baseline(scratchRoot: string, mutants: readonly Mutant[]): Promise<boolean> {
  const sets = new Map(mutants.map((m) => [catcherLabel(m), { catchers: m.catchers, testName: m.testName }]));
  const rows: Row[] = [];
  for (const [label, catchers] of sets) {
    const run = await inScratchCopy(scratchRoot, `baseline-${rows.length + 1}`, undefined, catchers);
    const ok = run.verdict === 'passed';
    rows.push({
      name: '(none)',
      catcher: label,
      caught: ok ? 'passes' : `FAILS (${run.verdict})`,
      seconds: run.seconds,
      note: ok ? run.detail : `${run.detail} (log: ${run.logFile})`,
    });
  }
  console.log('Baseline: every catcher set on the unmutated tree');
  printTable(rows);
  console.log('');
  return rows.every((row) => row.caught === 'passes');
}

function selected(only: readonly string[]): Mutant[] {
  if (only.length === 0) return [...MUTANTS];
  const unknown = only.filter((name) => !MUTANTS.some((m) => m.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `no mutant named ${unknown.join(', ')}; --list names them: ${MUTANTS.map((m) => m.name).join(', ')}`,
    );
  }
  return MUTANTS.filter((m) => only.includes(m.name));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      list: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true, default: [] },
      baseline: { type: 'boolean', default: false },
    },
  });
  const mutants = selected(values.only);
  if (values.list) {
    for (const m of mutants) console.log(`${m.name}\n  bug: ${m.bug}\n  in: ${m.file}\n  catcher: ${catcherLabel(m)}`);
    return;
  }
  const stale = mutants.flatMap((m) => {
    const reason = staleness(REPO_ROOT, m);
    return reason ? [`${m.name}: ${reason}`] : [];
  });
  if (stale.length > 0)
    throw new Error(`stale mutants, fix the catalogue (scripts/mutants/catalogue.ts):\n${stale.join('\n')}`);

  const scratchRoot = process.env.MUTANTS_SCRATCH_DIR ?? path.join(os.tmpdir(), 'seller-workflows-mutants');
  mkdirSync(path.join(scratchRoot, 'logs'), { recursive: true });
  removeCopyOnInterrupt();
  const started = Date.now();
  if (values.baseline && !(await baseline(scratchRoot, mutants))) {
    throw new Error('a catcher set fails on the unmutated tree: its catches would prove nothing');
  }
  const rows: Row[] = [];
  for (const mutant of mutants) {
    console.log(`planting ${mutant.name} ...`);
    rows.push(mutantRow(mutant, await inScratchCopy(scratchRoot, mutant.name, mutant, mutant)));
  }
  printTable(rows);
  const survivors = rows.filter((row) => row.caught !== 'yes');
  console.log(
    `\n${rows.length - survivors.length} of ${rows.length} mutants caught in ${Math.round((Date.now() - started) / 1_000)} s`,
  );
  if (survivors.length > 0) {
    console.error(`not caught: ${survivors.map((row) => row.name).join(', ')}`);
    process.exitCode = 1;
  }
}

runMain(main);
