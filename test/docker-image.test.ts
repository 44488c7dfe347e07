/**
 * The service image holds no simulator code: the stages the final (service) stage is built from copy
 * only what the service needs from the build context, and the service's build output (`dist/`, what
 * the image copies) contains no file of the simulator.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { bundleLocation } from '../src/platform/workflow-bundle';
import { compiledEntry } from '../src/workers/roles';

const root = path.resolve(__dirname, '..');

interface Stage {
  name: string;
  base: string;
  /** Sources of COPY instructions that read the build context. */
  contextCopies: string[];
  /** Stages COPY --from reads. */
  copiesFrom: string[];
  /** COPY --from instructions as written: [stage, source, destination]. */
  stageCopies: [string, string, string][];
  /** RUN commands, in order. */
  runs: string[];
}

/** Parses FROM and COPY lines (enough for this Dockerfile: one instruction per line). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      stages.push({
        name: from[2] ?? `#${stages.length}`,
        base: from[1]!,
        contextCopies: [],
        copiesFrom: [],
        stageCopies: [],
        runs: [],
      });
      continue;
    }
    const stage = stages[stages.length - 1];
    const run = /^RUN\s+(.*)$/i.exec(line);
    if (run && stage) stage.runs.push(run[1]!);
    const copy = /^COPY\s+(.*)$/i.exec(line);
    if (!copy || !stage) continue;
    const words = copy[1]!.split(/\s+/);
    const fromFlag = words.find((word) => word.startsWith('--from='));
    const sources = words.filter((word) => !word.startsWith('--')).slice(0, -1);
    if (fromFlag) {
      stage.copiesFrom.push(fromFlag.slice('--from='.length));
      stage.stageCopies.push([fromFlag.slice('--from='.length), sources[0]!, words.at(-1)!]);
    } else stage.contextCopies.push(...sources);
  }
  return stages;
}

/** The final stage and every stage it is built on or copies from. */
function stagesBehind(stages: Stage[], name: string, seen = new Set<string>()): Stage[] {
  const stage = stages.find((candidate) => candidate.name === name);
  if (!stage || seen.has(name)) return [];
  seen.add(name);
  return [stage, ...[stage.base, ...stage.copiesFrom].flatMap((next) => stagesBehind(stages, next, seen))];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('the service image', () => {
  const stages = parseDockerfile(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  const service = stages[stages.length - 1]!;

  it('is the default target and is built only from src/, migrations/ and the package files', () => {
    expect(service.name).toBe('service');
    const copied = stagesBehind(stages, service.name).flatMap((stage) => stage.contextCopies);
    expect(copied.length).toBeGreaterThan(0);
    for (const source of copied) {
      expect({
        source,
        allowed: /^(src|migrations|package(-lock)?\.json|tsconfig(\.build)?\.json)$/.test(source),
      }).toEqual({ source, allowed: true });
    }
  });

  it('bundles the workflows in the build stage, after tsc, into the dist/ the service copies', () => {
    const build = stages.find((stage) => stage.name === 'build')!;
    const tsc = build.runs.findIndex((run) => run.includes('tsc -p tsconfig.build.json'));
    const bundle = build.runs.indexOf(`node ${compiledEntry({ entry: 'src/commands/build-workflow-bundle.ts' })}`);
    expect({ tsc, bundle }).toEqual({ tsc: expect.any(Number), bundle: tsc + 1 });
    expect(tsc).toBeGreaterThanOrEqual(0);
    // The bundle lands in /app/dist, which the service stage copies whole to where the worker looks.
    expect(path.relative('/app', bundleLocation('/app').bundlePath)).toBe(path.join('dist', 'workflow-bundle.js'));
    expect(service.stageCopies).toContainEqual(['build', '/app/dist', './dist']);
  });

  it('leaves the simulator to a stage of its own that the service does not build on', () => {
    const simulator = stages.find((stage) => stage.name === 'simulator');
    const behindSimulator = stagesBehind(stages, 'simulator').flatMap((stage) => stage.contextCopies);
    expect(behindSimulator).toContain('simulator');
    expect(simulator).toBeDefined();
    expect(stagesBehind(stages, service.name).map((stage) => stage.name)).not.toContain('simulator-build');
  });

  it("gets a dist/ from the service's build that holds no simulator file and reaches nothing outside src/", () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'service-dist-'));
    try {
      execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir], {
        cwd: root,
        stdio: 'pipe',
      });
      const files = filesUnder(outDir);
      expect(files).toEqual(
        expect.arrayContaining([
          path.join('src', 'workers', 'temporal-worker.js'),
          path.join('src', 'commands', 'build-workflow-bundle.js'),
        ]),
      );
      expect(files.filter((file) => /simulator/i.test(file))).toEqual([]);
      expect(files.filter((file) => !file.startsWith(`src${path.sep}`))).toEqual([]);
      const reachingOut = files
        .filter((file) => file.endsWith('.js'))
        .filter((file) =>
          /require\("(\.\.\/)+(simulator|scripts|test)\//.test(readFileSync(path.join(outDir, file), 'utf8')),
        );
      expect(reachingOut).toEqual([]);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 120_000);
});
