/**
 * The table of roles (src/workers/roles.ts) and what starts the roles outside TypeScript stay in
 * step: docker-compose.yml runs each compiled with its Node flags, package.json has its npm script,
 * and its entry exists. (Scripts and tests start roles through scripts/harness/spawn.ts, which reads
 * the table itself.) Reads files only: no server.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SWEEP_PROCESS_NODE_FLAGS } from '../src/sweeps/process-flags';
import { compiledEntry, findRole, ROLES } from '../src/workers/roles';

const root = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
// `merge`: the roles inherit their settings through `<<: *service`.
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { command?: string[] | string }>;
};
const npmScripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

describe.each(ROLES.map((role) => [role.name, role] as const))('the role %s', (_name, role) => {
  it('has its entry file', () => {
    expect({ entry: role.entry, exists: existsSync(path.join(root, role.entry)) }).toEqual({
      entry: role.entry,
      exists: true,
    });
  });

  it('runs in docker-compose.yml as a service of its name: node, its Node flags, its compiled entry', () => {
    expect(compose.services[role.name]?.command).toEqual(['node', ...role.nodeFlags, compiledEntry(role)]);
  });

  it('has its npm script, which starts it by its name through scripts/role.ts', () => {
    expect(npmScripts[role.npmScript]).toMatch(new RegExp(` scripts/role\\.ts ${role.name}$`));
  });
});

it('gives the sweep role its heap budget, so compose and every start through the harness run with it', () => {
  expect(SWEEP_PROCESS_NODE_FLAGS.length).toBeGreaterThan(0);
  expect(findRole('sweep-worker').nodeFlags).toEqual(SWEEP_PROCESS_NODE_FLAGS);
});

it('has roles of distinct names and npm scripts', () => {
  expect(new Set(ROLES.map((role) => role.name)).size).toBe(ROLES.length);
  expect(new Set(ROLES.map((role) => role.npmScript)).size).toBe(ROLES.length);
});

it('leaves no npm script spelling a role entry of its own (each goes through the table)', () => {
  const spelled = Object.entries(npmScripts).filter(([, command]) =>
    ROLES.some((role) => command.includes(role.entry)),
  );
  expect(spelled).toEqual([]);
});
