/**
 * The one way scripts and tests start a role of the service (or any other entry point, such as an
 * operator command) as its own Node process, as a deployment would: on this process's Node (npm
 * scripts put Node 24 first; a child found through PATH might be the machine's older one), with the
 * role's Node flags from the table, from the repository root. Callers add what is theirs (log
 * files, supervision, RSS sampling, output capture) around the child this returns.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { compiledEntry, findRole, ROLES, type RoleName } from '../../src/workers/roles';
import { REPO_ROOT } from '../stack/paths';

/** A role of the table by name, or the source path of an entry point (`src/commands/sweep.ts`). */
export type Launchable = RoleName | `${string}.ts`;

export interface EntryPoint {
  /** The role's name, or the entry's path for one that is no role. */
  name: string;
  /** Source path from the repository root. */
  entry: string;
  nodeFlags: readonly string[];
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** Arguments after the entry (a command's sweep name). */
  args?: readonly string[];
  /** Default: a pipe for each, for the caller to read. */
  stdio?: StdioOptions;
  /**
   * Runs the compiled `dist/` entry instead of the source through tsx: what the image runs, and what
   * benchmarks measure (no TypeScript loader in the figures). Needs a build first.
   */
  compiled?: boolean;
  /** Flags after the role's own: a later flag wins, so a benchmark can try another heap size. */
  extraNodeFlags?: readonly string[];
  /** Its own process group: a terminal's Ctrl-C then reaches only the caller, which stops it once. */
  detached?: boolean;
}

/**
 * What `target` runs. A path that is a role's entry is that role, so the role keeps its Node flags
 * however it is named.
 */
export function entryPoint(target: Launchable): EntryPoint {
  if (!target.endsWith('.ts')) return findRole(target);
  return ROLES.find((role) => role.entry === target) ?? { name: target, entry: target, nodeFlags: [] };
}

export function spawnEntry(target: Launchable, options: SpawnOptions): ChildProcess {
  const { entry, nodeFlags } = entryPoint(target);
  const program = options.compiled
    ? [path.join(REPO_ROOT, compiledEntry({ entry }))]
    : ['--import', 'tsx', path.join(REPO_ROOT, entry)];
  return spawn(
    process.execPath,
    [...nodeFlags, ...(options.extraNodeFlags ?? []), ...program, ...(options.args ?? [])],
    { cwd: REPO_ROOT, env: options.env, stdio: options.stdio ?? 'pipe', detached: options.detached },
  );
}
