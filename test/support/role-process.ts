import type { ChildProcess } from 'node:child_process';
import { spawnEntry, type Launchable } from '../../scripts/harness/spawn';

export interface RoleProcess {
  child: ChildProcess;
  output: () => string;
  waitForOutput: (text: string, timeoutMs?: number) => Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts a role (by its name in src/workers/roles.ts) as its own process, as a deployment would. Its
 * health server (and a worker's metrics endpoint) takes any free port unless `env` names one: test files run in parallel, and so may
 * their roles.
 */
export function startRole(role: Launchable, env: NodeJS.ProcessEnv): RoleProcess {
  const child = spawnEntry(role, {
    // Info: the test reads the role's lines (they are captured here, never printed).
    env: {
      ...env,
      HEALTH_PORT: env.HEALTH_PORT ?? '0',
      TEMPORAL_METRICS_PORT: env.TEMPORAL_METRICS_PORT ?? '0',
      LOG_LEVEL: 'info',
    },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit' (nor `exitCode`): only then has every line the role wrote reached `output`.
  let closed = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      closed = true;
      resolve(code);
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    waitForOutput: async (text, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (Date.now() > deadline || closed) throw new Error(`no "${text}" from ${role}; output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** The port a role logged it listens on (a JSON log line with `port`): with port 0 it is known only then. */
export async function loggedPort(role: RoleProcess, message: string): Promise<number> {
  await role.waitForOutput(message);
  const line = role
    .output()
    .split('\n')
    .find((candidate) => candidate.includes(message));
  return (JSON.parse(line!) as { port: number }).port;
}
