/**
 * The workflow bundle, built once (`npm run build`, the image's build stage) and loaded by every
 * worker with `workflowBundle: { codePath }`: webpack at every start cost seconds of CPU and about
 * 500 MiB of RSS, and a replay test could not pin the code that is deployed.
 *
 * Next to the bundle, a stamp records a hash of the sources it was built from (every file the
 * workflows and their interceptors import, and the SDK's workflow version). A bundle whose stamp does
 * not match the sources beside it is stale and is never used silently: compiled code (the image, a
 * local `node dist/...`) refuses to start; source code run by tsx (dev, tests) rebuilds it.
 *
 * This module names the workflow files by path, never imports them: the bundler reads them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  bundleWorkflowCode,
  type BundleOptions,
  type WorkflowBundleOption,
  type WorkflowBundlePath,
} from '@temporalio/worker';
import type { Logger } from '@temporalio/common';
import { FatalError } from './main';

/** package.json's folder, whether this runs from src/ (tsx) or dist/src/ (compiled, the image). */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/** Where a project's workflow sources, bundle and stamp are. */
export interface BundleLocation {
  workflowsDir: string;
  workflowsEntry: string;
  interceptorsEntry: string;
  bundlePath: string;
  stampPath: string;
}

export function bundleLocation(root: string): BundleLocation {
  const workflowsDir = path.join(root, 'src', 'workflows');
  return {
    workflowsDir,
    workflowsEntry: path.join(workflowsDir, 'index.ts'),
    interceptorsEntry: path.join(workflowsDir, 'interceptors.ts'),
    bundlePath: path.join(root, 'dist', 'workflow-bundle.js'),
    stampPath: path.join(root, 'dist', 'workflow-bundle.json'),
  };
}

/** This project's; the image ships `bundlePath` (its service stage copies dist/). */
export const SERVICE_BUNDLE = bundleLocation(projectRoot());
export const WORKFLOW_BUNDLE_PATH = SERVICE_BUNDLE.bundlePath;
export const BUILD_COMMAND = 'npm run build';

interface Stamp {
  sourceHash: string;
}

/** Running compiled JavaScript (dist/) rather than TypeScript through tsx or Jest. */
const RUNNING_COMPILED = __filename.endsWith('.js');

/** Relative imports that reach the bundle: `import type` is erased, so it does not count. */
const VALUE_IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'(\.{1,2}\/[^']+)'/gm;

function resolveSource(fromFile: string, specifier: string): string {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [`${base}.ts`, path.join(base, 'index.ts'), base];
  const found = candidates.find((candidate) => existsSync(candidate) && candidate.endsWith('.ts'));
  if (!found) throw new Error(`${fromFile} imports ${specifier}, which is no TypeScript file`);
  return found;
}

/** Every source file the bundle is made of, from the two entries, sorted. */
export function workflowSourceFiles(at: BundleLocation = SERVICE_BUNDLE): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(VALUE_IMPORT)) visit(resolveSource(file, match[1]!));
  };
  [at.workflowsEntry, at.interceptorsEntry].forEach(visit);
  return [...seen].sort();
}

/** Undefined where the sources are not there to hash (the image ships dist/ only). */
export function workflowSourceHash(at: BundleLocation = SERVICE_BUNDLE): string | undefined {
  if (!existsSync(at.workflowsEntry)) return undefined;
  const hash = createHash('sha256');
  const sdk = JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as {
    version: string;
  };
  hash.update(`@temporalio/workflow@${sdk.version}\n`);
  for (const file of workflowSourceFiles(at)) {
    hash.update(`${path.relative(at.workflowsDir, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** The bundler's options for the service's workflows; a test may add to them (a variant's alias). */
export function workflowBundleOptions(logger?: Logger, at: BundleLocation = SERVICE_BUNDLE): BundleOptions {
  return {
    workflowsPath: at.workflowsEntry,
    workflowInterceptorModules: [at.interceptorsEntry],
    ...(logger ? { logger } : {}),
  };
}

/**
 * Bundles the workflows and writes the bundle and its stamp. Written beside and renamed into place,
 * so a process loading the bundle at the same time (another Jest worker) never reads half a file.
 */
export async function buildWorkflowBundle(logger?: Logger, at: BundleLocation = SERVICE_BUNDLE): Promise<string> {
  const sourceHash = workflowSourceHash(at);
  if (!sourceHash) throw new Error(`no workflow sources at ${at.workflowsEntry} to bundle`);
  const { code } = await bundleWorkflowCode(workflowBundleOptions(logger, at));
  mkdirSync(path.dirname(at.bundlePath), { recursive: true });
  const suffix = `.${process.pid}.tmp`;
  writeFileSync(at.bundlePath + suffix, code);
  writeFileSync(at.stampPath + suffix, JSON.stringify({ sourceHash } satisfies Stamp, null, 2) + '\n');
  // The bundle first: a fresh stamp must never stand beside an old bundle.
  renameSync(at.bundlePath + suffix, at.bundlePath);
  renameSync(at.stampPath + suffix, at.stampPath);
  return at.bundlePath;
}

function stampedHash(at: BundleLocation): string | undefined {
  if (!existsSync(at.stampPath)) return undefined;
  return (JSON.parse(readFileSync(at.stampPath, 'utf8')) as Partial<Stamp>).sourceHash;
}

/** Why the built bundle cannot be used as it is, or undefined when it can. */
export function staleBundleReason(at: BundleLocation = SERVICE_BUNDLE): string | undefined {
  if (!existsSync(at.bundlePath)) return `no workflow bundle at ${at.bundlePath}`;
  const current = workflowSourceHash(at);
  // The image: no sources beside the bundle; its build stage built both from the same tree.
  if (current === undefined) return undefined;
  if (stampedHash(at) !== current) {
    return `the workflow bundle at ${at.bundlePath} was built from other sources than ${at.workflowsDir} holds now`;
  }
  return undefined;
}

export interface LoadOptions {
  at?: BundleLocation;
  /** Default: whether this module runs compiled. */
  compiled?: boolean;
}

/**
 * The bundle for a worker. Compiled code never bundles: it refuses a missing or stale bundle, naming
 * the command that builds it. Source code (tsx, Jest) rebuilds a missing or stale one first.
 */
export async function prebuiltWorkflowBundle(
  logger?: Logger,
  { at = SERVICE_BUNDLE, compiled = RUNNING_COMPILED }: LoadOptions = {},
): Promise<WorkflowBundlePath> {
  const stale = staleBundleReason(at);
  if (stale && compiled) throw new FatalError(`${stale}: run \`${BUILD_COMMAND}\``);
  if (stale) {
    logger?.info(`${stale}: bundling the workflows (\`${BUILD_COMMAND}\` does it ahead)`);
    await buildWorkflowBundle(logger, at);
  }
  return { codePath: at.bundlePath };
}

/**
 * What a worker loads, as WORKFLOW_BUNDLE says: the prebuilt bundle, or (`at-start`) the workflows
 * bundled in memory now, as every start did before the bundle was built once: seconds of CPU and
 * hundreds of MiB, kept for the benchmark's comparison.
 */
export async function workflowBundleFor(mode: 'prebuilt' | 'at-start', logger?: Logger): Promise<WorkflowBundleOption> {
  if (mode === 'prebuilt') return prebuiltWorkflowBundle(logger);
  if (!existsSync(SERVICE_BUNDLE.workflowsEntry)) {
    throw new FatalError(`WORKFLOW_BUNDLE=at-start: no workflow sources at ${SERVICE_BUNDLE.workflowsEntry} to bundle`);
  }
  logger?.warn('WORKFLOW_BUNDLE=at-start: bundling the workflows in memory (slow; the default is prebuilt)');
  return bundleWorkflowCode(workflowBundleOptions(logger));
}
