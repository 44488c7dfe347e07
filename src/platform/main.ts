/**
 * Process lifecycle shared by every role and script: one clear line instead of a stack trace for
 * the failures an operator can fix (configuration, a server that is not there), and one place that
 * turns SIGINT/SIGTERM into an orderly stop.
 */
import { ConfigError } from '../config';

const OPERATOR_FIXABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EACCES']);

/** An error whose message is the whole story for the person reading the terminal. */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}

/** ioredis gives up on a command with this error while Redis does not answer. */
const REDIS_GAVE_UP = 'MaxRetriesPerRequestError';

function isOperatorFixable(error: unknown): error is Error {
  if (error instanceof ConfigError || error instanceof FatalError) return true;
  if (error instanceof Error && error.name === REDIS_GAVE_UP) return true;
  const code = (error as { code?: unknown })?.code;
  return error instanceof Error && typeof code === 'string' && OPERATOR_FIXABLE_CODES.has(code);
}

export function describeFatal(error: unknown): string {
  if (isOperatorFixable(error))
    return error.name === REDIS_GAVE_UP ? `Redis did not answer: ${error.message}` : error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Runs a role or script; exits non-zero with one line when it fails. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => undefined,
    (error: unknown) => {
      console.error(describeFatal(error));
      process.exit(error instanceof ConfigError ? 2 : 1);
    },
  );
}

/**
 * Calls `stop` once on the first SIGINT or SIGTERM. A second signal means the operator has given up
 * waiting, so it exits at once.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => void | Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    void Promise.resolve(stop(signal)).catch((error: unknown) => {
      console.error(`shutdown failed: ${describeFatal(error)}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
