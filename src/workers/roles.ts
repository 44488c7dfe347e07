/**
 * The one table of the service's roles: each is its own process in production (docker-compose.yml),
 * locally (`npm run dev`, `npm run <script>`), in chaos runs, benchmarks and tests. Everything that
 * starts a role reads its entry and Node flags here; nothing else spells them.
 *
 * This file is data only (no role is loaded by importing it), so scripts and tests can read it cheaply.
 */
import { SWEEP_PROCESS_NODE_FLAGS } from '../sweeps/process-flags';

export const ROLE_NAMES = [
  'temporal-worker',
  'sweep-worker',
  'poller-worker',
  'metrics-worker',
  'admin-worker',
] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RoleDefinition {
  readonly name: RoleName;
  /** Source entry, from the repository root; `npm run build` compiles it to `dist/<entry>.js`. */
  readonly entry: string;
  /** Node flags the role runs with everywhere (a heap budget, for one). */
  readonly nodeFlags: readonly string[];
  /** The `npm run <script>` that starts the role on its own against the local stack. */
  readonly npmScript: string;
  /** The `role` field of its log lines. */
  readonly logName: string;
}

export const ROLES: readonly RoleDefinition[] = [
  {
    name: 'temporal-worker',
    entry: 'src/workers/temporal-worker.ts',
    nodeFlags: [],
    npmScript: 'worker',
    logName: 'worker',
  },
  {
    name: 'sweep-worker',
    entry: 'src/workers/sweep-worker.ts',
    nodeFlags: SWEEP_PROCESS_NODE_FLAGS,
    npmScript: 'sweeper',
    logName: 'sweeper',
  },
  {
    name: 'poller-worker',
    entry: 'src/workers/poller-worker.ts',
    nodeFlags: [],
    npmScript: 'pollers',
    logName: 'poller',
  },
  {
    name: 'metrics-worker',
    entry: 'src/workers/metrics-worker.ts',
    nodeFlags: [],
    npmScript: 'metrics',
    logName: 'metrics',
  },
  {
    name: 'admin-worker',
    entry: 'src/workers/admin-worker.ts',
    nodeFlags: [],
    npmScript: 'admin',
    logName: 'admin',
  },
];

export function findRole(name: string): RoleDefinition {
  const role = ROLES.find((candidate) => candidate.name === name);
  if (!role) throw new Error(`unknown role "${name}"; known: ${ROLE_NAMES.join(', ')}`);
  return role;
}

/**
 * Where `npm run build` puts a role's compiled entry (what the image runs); any other entry point's
 * (a command, the bench worker) compiles to the same place under `dist/`.
 */
export function compiledEntry(role: Pick<RoleDefinition, 'entry'>): string {
  return `dist/${role.entry.replace(/\.ts$/, '.js')}`;
}
