// `npm run lint` bites: the project's real eslint.config.mjs, run through ESLint's Node API on a few
// snippets, rejects an upward import, a workflow that reaches past the sandbox and a floating promise,
// and lets a downward import and a type-only import of activities through. No servers.
//
// ESLint runs in a child Node (lint-snippets.mjs): it loads its config with a dynamic import(), which
// Jest's module sandbox refuses. Typed linting only sees files of the TypeScript project, found by
// their path on disk (a path that does not exist is "not found by the project service"), so each
// snippet gets a real, empty placeholder module in its folder for the test's lifetime; ESLint lints
// the snippet's text, not the placeholder's.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const probe = (folder: string) => path.join(root, folder, `__lint-probe-${process.pid}.ts`);
const probes = { db: probe('src/db'), workflows: probe('src/workflows') };
/** On disk, imports probes.db: the db snippet that imports it back closes a cycle. */
const cyclePartner = probes.db.replace(/\.ts$/, '-partner.ts');

/** A module of `folder` as an import path from a sibling folder, whichever file it holds today. */
function someModule(folder: string): string {
  const file = readdirSync(path.join(root, folder))
    .filter((name) => name.endsWith('.ts') && !name.startsWith('__lint-probe'))
    .sort()[0];
  if (!file) throw new Error(`${folder} has no .ts file to import`);
  return `../${path.basename(folder)}/${file.replace(/\.ts$/, '')}`;
}

const snippets = {
  upward: {
    filePath: probes.db,
    code: [
      `import * as pollers from '${someModule('src/pollers')}';`,
      `import * as workers from '${someModule('src/workers')}';`,
      'export const both = [pollers, workers];',
    ],
  },
  workflow: {
    filePath: probes.workflows,
    code: [
      "import { readFileSync } from 'node:fs';",
      `import * as db from '${someModule('src/db')}';`,
      "import type * as activities from '../activities';",
      "import { proxyActivities } from '@temporalio/workflow';",
      'export const refs = [readFileSync, db, proxyActivities];',
      'export type Activities = typeof activities;',
    ],
  },
  workflowActivityValues: {
    filePath: probes.workflows,
    code: ["import * as activities from '../activities';", 'export const all = activities;'],
  },
  floatingPromise: {
    filePath: probes.db,
    code: ['async function work(): Promise<void> {}', 'work();', 'void work();'],
  },
  cycle: {
    filePath: probes.db,
    code: [`import './${path.basename(cyclePartner, '.ts')}';`, 'export {};'],
  },
  downward: {
    filePath: probes.db,
    code: ["import * as config from '../config';", 'export const settings = config;'],
  },
};

let found: Record<keyof typeof snippets, string[]>;

beforeAll(() => {
  for (const file of Object.values(probes)) writeFileSync(file, 'export {};\n');
  writeFileSync(cyclePartner, `import './${path.basename(probes.db, '.ts')}';\n`);
  const names = Object.keys(snippets) as Array<keyof typeof snippets>;
  const input = names.map((name) => ({
    filePath: snippets[name].filePath,
    code: `${snippets[name].code.join('\n')}\n`,
  }));
  const child = spawnSync(process.execPath, [path.join(__dirname, 'lint-snippets.mjs'), root], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.status !== 0)
    throw new Error(`lint-snippets.mjs failed (${child.status ?? child.signal}): ${child.stderr}`);
  const results = JSON.parse(child.stdout) as string[][];
  found = Object.fromEntries(names.map((name, i) => [name, results[i]!])) as typeof found;
});

afterAll(() => {
  for (const file of [...Object.values(probes), cyclePartner]) rmSync(file, { force: true });
});

test('an upward import from a lower floor is an error', () => {
  expect(found.upward).toEqual(['1:import-x/no-restricted-paths', '2:import-x/no-restricted-paths']);
});

test('a workflow may not import Node builtins or src/db, but may import activities as types', () => {
  expect(found.workflow).toEqual(['1:@typescript-eslint/no-restricted-imports', '2:import-x/no-restricted-paths']);
});

test('a workflow may not import activities as values', () => {
  expect(found.workflowActivityValues).toEqual(['1:@typescript-eslint/no-restricted-imports']);
});

test('a floating promise is an error', () => {
  expect(found.floatingPromise).toEqual(['2:@typescript-eslint/no-floating-promises']);
});

test('an import cycle is an error', () => {
  expect(found.cycle).toEqual(['1:import-x/no-cycle']);
});

test('a downward import is clean', () => {
  expect(found.downward).toEqual([]);
});
