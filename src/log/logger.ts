/**
 * Logging that the user controls. Every facade and the embedded server take a `logger`; the
 * library's default is silent, so embedding leasehold never writes to a process's stderr unasked.
 * Entries are structured: a message plus fields (lease, identity, term, error, ...), which the
 * text format prints as `key=value` and the JSON format as properties.
 */
import { realClock } from '../time/realClock.js';

/** Severity of a log entry, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields of one entry. `error` is printed as its message (and its kind, if typed). */
export interface LogFields {
  lease?: string;
  identity?: string;
  term?: number | null;
  error?: unknown;
  [field: string]: unknown;
}

/** Where leasehold reports what it does: leadership changes (info), store failures (warn), failing callbacks (error). */
export interface Logger {
  /** Detail for diagnosing: every observed holder change, every rollout decision. */
  debug(message: string, fields?: LogFields): void;
  /** Leadership started or stopped. */
  info(message: string, fields?: LogFields): void;
  /** A store call or a release failed; leasehold retries or carries on. */
  warn(message: string, fields?: LogFields): void;
  /** A user callback threw, or the participant was preempted: something needs attention. */
  error(message: string, fields?: LogFields): void;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Discards everything: the library's default. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** What `createLogger` takes. */
export interface ConsoleLoggerOptions {
  /** Entries below this level are dropped; default 'info'. */
  level?: LogLevel;
  /** 'text' (`TIME LEVEL message key=value ...`) or 'json' (one object per line); default 'text'. */
  format?: 'text' | 'json';
  /** Where lines go; default process.stderr. */
  write?: (line: string) => void;
  /** Epoch ms for the timestamp; default the real clock. */
  now?: () => number;
}

/** A logger that writes one line per entry, as text or JSON. */
export function createLogger({
  level = 'info',
  format = 'text',
  write = (line) => process.stderr.write(line),
  now = realClock.now,
}: ConsoleLoggerOptions = {}): Logger {
  const threshold = LEVELS.indexOf(level);
  const entry = (entryLevel: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (LEVELS.indexOf(entryLevel) < threshold) return;
    const time = new Date(now()).toISOString();
    const values = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, key === 'error' ? describeError(value) : value] as const);
    write(
      format === 'json'
        ? `${JSON.stringify({ time, level: entryLevel, msg: message, ...Object.fromEntries(values) })}\n`
        : `${time} ${entryLevel.toUpperCase()} ${message}${values.map(([key, value]) => ` ${key}=${textValue(value)}`).join('')}\n`,
    );
  };
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
}

/** A logger that adds `fields` to every entry (a facade's lease and identity). */
export function withFields(logger: Logger, fields: LogFields): Logger {
  const entry = (level: LogLevel) => (message: string, more?: LogFields) => logger[level](message, { ...fields, ...more });
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const kind = 'kind' in error && typeof error.kind === 'string' ? `${error.kind}: ` : '';
  return `${kind}${error.message}`;
}

function textValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}
