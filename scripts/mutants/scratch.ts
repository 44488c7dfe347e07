/**
 * A scratch copy of the working tree for one mutant: the files git tracks and the untracked ones it
 * does not ignore (the tree as it stands, uncommitted work included), with node_modules, .tools and
 * .data linked to the original's (the installed packages, the local tools, the running stack's env).
 * dist/ is not copied: the workflow bundle is built from the copy's own sources (workflow-bundle.ts).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Mutant } from './catalogue';

const LINKED = ['node_modules', '.tools', '.data'] as const;

/** The files of the working tree as git sees them, from `root`. */
export function treeFiles(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
  // A tracked file deleted in the working tree is still listed: it has nothing to copy.
  return listed.split('\0').filter((file) => file !== '' && existsSync(path.join(root, file)));
}

export function makeScratchCopy(root: string, scratchRoot: string, label: string): string {
  mkdirSync(scratchRoot, { recursive: true });
  const copy = mkdtempSync(path.join(scratchRoot, `${label}-`));
  for (const file of treeFiles(root)) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    copyFileSync(path.join(root, file), path.join(copy, file));
  }
  for (const name of LINKED) {
    const original = path.join(root, name);
    if (existsSync(original)) symlinkSync(realpathSync(original), path.join(copy, name));
  }
  return copy;
}

export function removeScratchCopy(copy: string): void {
  rmSync(copy, { recursive: true, force: true });
}

/** How often `find` occurs in the mutant's file under `root`: exactly once, or the mutant is stale. */
export function occurrences(root: string, mutant: Pick<Mutant, 'file' | 'find'>): number {
  const file = path.join(root, mutant.file);
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split(mutant.find).length - 1;
}

/** Why the mutant cannot be planted in `root` as written, or undefined when it can. */
export function staleness(root: string, mutant: Mutant): string | undefined {
  if (!existsSync(path.join(root, mutant.file))) return `${mutant.file} does not exist`;
  const found = occurrences(root, mutant);
  if (found === 1) return undefined;
  return `its text occurs ${found} times in ${mutant.file} (must be exactly once): the mutant is stale`;
}

export function plant(copy: string, mutant: Mutant): void {
  const file = path.join(copy, mutant.file);
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(mutant.find, () => mutant.replace),
  );
}
