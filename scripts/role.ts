/**
 * `npm run worker|sweeper|pollers|metrics|admin`: one role of the table (`src/workers/roles.ts`) on
 * its own against the local stack, as its own process started through the harness, with its Node
 * flags. Usage: `tsx scripts/role.ts <role-name>`.
 *
 * The role runs in its own process group, so a terminal's Ctrl-C (which npm and tsx also relay to
 * this process) reaches it once, from here. This process stays until the role has stopped and exits
 * with the role's status.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { ROLE_NAMES, type RoleName } from '../src/workers/roles';
import { spawnEntry } from './harness/spawn';

/** What each signal to this process becomes for the role: a closed terminal stops it in order too. */
const FORWARDED_SIGNALS = { SIGINT: 'SIGINT', SIGTERM: 'SIGTERM', SIGHUP: 'SIGTERM' } as const;
/**
 * One Ctrl-C can arrive here more than once within milliseconds (from the terminal, and relayed by
 * npm and tsx). A signal this soon after the last is the same one; a later one is the operator asking
 * again, which the role takes as "stop without waiting".
 */
const SAME_SIGNAL_WITHIN_MS = 1_000;

function roleNamed(name: string | undefined): RoleName {
  const role = ROLE_NAMES.find((candidate) => candidate === name);
  if (role) return role;
  console.error(`usage: tsx scripts/role.ts <role>; roles: ${ROLE_NAMES.join(', ')}`);
  process.exit(2);
}

function forwardSignals(child: ChildProcess): void {
  let lastForwardedAt = -Infinity;
  for (const [received, forwarded] of Object.entries(FORWARDED_SIGNALS)) {
    process.on(received, () => {
      if (Date.now() - lastForwardedAt < SAME_SIGNAL_WITHIN_MS) return;
      lastForwardedAt = Date.now();
      child.kill(forwarded);
    });
  }
}

/** The role's status; for a role a signal ended, the shell's convention (128 + the signal's number). */
function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
}

const child = spawnEntry(roleNamed(process.argv[2]), {
  env: process.env,
  // No stdin: a role reads none, and a process outside the terminal's foreground group must not try.
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true,
});
forwardSignals(child);
child.on('error', (error) => {
  console.error(`cannot start the role: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(exitStatus(code, signal)));
