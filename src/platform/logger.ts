/**
 * Structured JSON logs (pino), one line an event, for every role. Fields that hold credentials or
 * tokens are replaced by `[redacted]` wherever they appear in a logged object (up to three levels
 * deep), and bearer tokens inside messages are cut out, so a careless `log.info({ credentials })`
 * cannot leak what the database keeps sealed.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config';

export type { Logger } from 'pino';
export type LogLevel = Config['observability']['logLevel'];

/** Field names whose values are never written, whatever object they sit in. */
export const SECRET_FIELDS = [
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'token',
  'apiKey',
  'api_key',
  'clientSecret',
  'client_secret',
  'password',
  'secret',
  'secrets',
  'credentials',
  'authorization',
  'Authorization',
  'cookie',
  'x-api-key',
] as const;

export const REDACTED = '[redacted]';

const redactPaths = SECRET_FIELDS.flatMap((field) => {
  const key = /^[A-Za-z_]\w*$/.test(field) ? field : `["${field}"]`;
  const joined = (prefix: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
  return [key, joined('*'), joined('*.*')];
});

const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

/** Cuts credentials out of free text (error messages that quote a header, say). */
export function scrubText(text: string): string {
  return text.replace(BEARER, `$1 ${REDACTED}`);
}

function serializeError(error: Error): object {
  const serialized = pino.stdSerializers.err(error);
  return { ...serialized, message: scrubText(serialized.message), stack: scrubText(serialized.stack ?? '') };
}

export interface LoggerOptions {
  level: LogLevel;
  /** The process's role (sweeper, poller, worker, metrics, admin): on every line. */
  role: string;
}

export function createLogger({ level, role }: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { role, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths, censor: REDACTED },
      serializers: { err: serializeError },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** The role's logger from its configuration. */
export function roleLogger(config: Config, role: string): Logger {
  return createLogger({ level: config.observability.logLevel, role });
}

/** For code whose lines nobody reads (benchmarks, tests that assert on other things). */
export const SILENT_LOGGER: Logger = createLogger({ level: 'silent', role: 'silent' });
