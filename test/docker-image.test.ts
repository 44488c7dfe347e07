/**
 * The service image holds no simulator code: the stages the final (service) stage is built from copy
 * only what the service needs from the build context, and the service's build output (`dist/`, what
 * the image copies) contains no file of the simulator.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

interface Stage {
  name: string;
  base: string;
  /** Sources of COPY instructions that read the build context. */
  contextCopies: string[];
  /** Stages COPY --from reads. */
  copiesFrom: string[];
}

/** Parses FROM and COPY lines (enough for this Dockerfile: one instruction per line). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      stages.push({ name: from[2] ?? `#${stages.length}`, base: from[1]!, contextCopies: [], copiesFrom: [] });
      continue;
    }
    const copy = /^COPY\s+(.*)$/i.exec(line);
    if (!copy || stages.length === 0) continue;
    const stage = stages[stages.length - 1]!;
    const words = copy[1]!.split(/\s+/);
    const fromFlag = words.find((word) => word.startsWith('--from='));
    const sources = words.filter((word) => !word.startsWith('--')).slice(0, -1);
    if (fromFlag) stage.copiesFrom.push(fromFlag.slice('--from='.length));
    else stage.contextCopies.push(...sources);
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
      expect(files).toEqual(expect.arrayContaining([path.join('src', 'workers', 'temporal-worker.js')]));
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
