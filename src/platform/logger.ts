/**
 * Structured JSON logs (pino), one line an event, for every role. Nothing secret is written: every
 * logged object, child binding, error (message, stack, causes) and message goes through the one
 * scrubber (scrub.ts), so fields named like credentials (`accessToken`, `X-Amz-Access-Token`,
 * `client_secret`, `Cookie`, ... in any case, at any depth) are written `[redacted]`, and tokens,
 * `Bearer`/`Basic` values and URL passwords are cut out of text. A careless
 * `log.info({ credentials })` cannot leak what the database keeps sealed.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config';
import { REDACTED, SECRET_FIELDS, scrubFields, scrubText } from './scrub';

export type { Logger } from 'pino';
export type LogLevel = Config['observability']['logLevel'];
export { REDACTED, SECRET_FIELDS, scrubText };

/** pino's own error shape (type, message, stack, causes, own fields), then scrubbed. */
const plainError = (error: Error): object => pino.stdSerializers.err(error);
const scrubbedFields = <T extends object>(fields: T): T => scrubFields(fields, plainError);

export interface LoggerOptions {
  level: LogLevel;
  /** The process's role (sweeper, poller, worker, metrics, admin): on every line. */
  role: string;
}

export function createLogger({ level, role }: LoggerOptions, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { role, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: scrubbedFields },
      serializers: {
        // The message once formatted, with the `%s`/`%o` arguments in it.
        msg: scrubText,
        // pino's own `err` serializer would take the scrubbed (plain) error for an object of type Object.
        err: (value: unknown) => (value instanceof Error ? scrubbedFields({ value }).value : value),
      },
    },
    destination,
  );
  // pino formats a child's bindings without the log formatter: they are scrubbed on the way in.
  // Children inherit this `child` from the root (pino builds them on it), so grandchildren too.
  const child = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, options) {
    return child.call(this, scrubbedFields(bindings), options);
  } as Logger['child'];
  return logger;
}

/** The role's logger from its configuration. */
export function roleLogger(config: Config, role: string): Logger {
  return createLogger({ level: config.observability.logLevel, role });
}

/** For code whose lines nobody reads (benchmarks, tests that assert on other things). */
export const SILENT_LOGGER: Logger = createLogger({ level: 'silent', role: 'silent' });
