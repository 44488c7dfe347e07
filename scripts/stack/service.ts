import type { ProcessSpec } from './processes';

/** One server of the local stack. */
export interface StackService {
  name: string;
  /** Finds or installs the program and prepares its data directory; returns how to start it. */
  prepare(): Promise<ProcessSpec>;
  /** How `stack:down` and `stack:status` recognise the process without preparing anything. */
  program(): string;
  isHealthy(): Promise<boolean>;
  /** Runs once the server answers: databases, registrations. */
  afterStart?(): Promise<void>;
  /** `KEY=VALUE` lines for `.data/stack.env`. */
  env(): Record<string, string>;
  /** What `stack:up` prints for people. */
  summary(): string;
  stopSignal: NodeJS.Signals;
  startTimeoutMs: number;
}

export function portFromEnv(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${variable} must be a TCP port, got "${raw}"`);
  return port;
}
