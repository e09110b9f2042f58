/**
 * Command-line flags for every `leasehold` command, parsed by node:util's parseArgs. parseArgs's
 * tokens let each refusal name the flag exactly as the user typed it (`-x`, `--lease`), and `--`
 * ends the flags: what follows is a command to run (`leasehold run ... -- CMD ARGS`).
 * Flag values are checked here too, so an error names its flag before anything starts.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../lease/duration.js';
import { ConfigError } from '../lease/errors.js';
import type { LogLevel } from '../log/logger.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export interface CommandSpec {
  name: string;
  /** What `leasehold NAME --help` prints. */
  usage: string;
  flags: Record<string, FlagSpec>;
  /** Whether arguments after `--` are a command to run; otherwise no positional argument is taken. */
  takesCommand?: boolean;
}

export interface CommandLine {
  values: Record<string, string | boolean | undefined>;
  /** Arguments after `--`. */
  command: string[];
  help: boolean;
}

/** Parses `args` for `spec`; every refusal is a ConfigError naming the flag as typed. */
export function parseCommandLine(spec: CommandSpec, args: readonly string[]): CommandLine {
  const options = { ...spec.flags, help: { type: 'boolean', short: 'h' } } as const;
  const { values, tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const command: string[] = [];
  let afterTerminator = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      afterTerminator = true;
    } else if (token.kind === 'positional') {
      if (afterTerminator && spec.takesCommand) command.push(token.value);
      else {
        const hint = spec.takesCommand ? ` (put the command to run after --)` : '';
        throw new ConfigError(`unexpected argument ${JSON.stringify(token.value)}${hint}`, token.value);
      }
    } else {
      const known = options[token.name as keyof typeof options] as FlagSpec | undefined;
      if (!known) throw new ConfigError(`unknown flag ${token.rawName} (see leasehold ${spec.name} --help)`, token.rawName);
      if (known.type === 'boolean' && token.value !== undefined) throw new ConfigError(`${token.rawName} takes no value`, token.rawName);
      if (known.type === 'string' && (token.value === undefined || (!token.inlineValue && /^-./.test(token.value)))) {
        throw new ConfigError(`${token.rawName} needs a value`, token.rawName);
      }
    }
  }
  return { values, command, help: values.help === true };
}

/** A string flag's value (undefined when not given). */
export function stringFlag(line: CommandLine, name: string): string | undefined {
  const value = line.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function durationFlag(line: CommandLine, name: string, fallback: string): number {
  return parseDuration(stringFlag(line, name) ?? fallback, `--${name}`);
}

export function portFlag(line: CommandLine, name: string): number | undefined {
  const value = stringFlag(line, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new ConfigError(`--${name} must be a port 0-65535, not ${JSON.stringify(value)}`, `--${name}`);
  return Number(value);
}

/** Where a server listens: controller-runtime's forms. `host` undefined: every interface. */
export interface BindAddress {
  host: string | undefined;
  port: number;
  /** As the user gave it, for messages. */
  text: string;
}

/**
 * controller-runtime's bind addresses: ":8081" (every interface, as Go's net.Listen), "HOST:PORT",
 * "[::1]:8081"; "0" (or "") disables the server. Undefined when disabled.
 */
export function bindAddressFlag(line: CommandLine, name: string, fallback = '0'): BindAddress | undefined {
  const text = stringFlag(line, name) ?? fallback;
  if (text === '0' || text === '') return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65_535) {
    throw new ConfigError(`--${name} ${JSON.stringify(text)}: expected [HOST]:PORT such as ":8081" or "127.0.0.1:8081", or 0 to disable`, `--${name}`);
  }
  const host = match[1] ?? match[2];
  return { host: host || undefined, port, text };
}

/** Why a server could not listen at `where` (as the user gave it), as a ConfigError naming `flag`. */
export function cannotListen(error: NodeJS.ErrnoException, where: string, flag: string): ConfigError {
  const why =
    error.code === 'EADDRINUSE'
      ? 'address already in use'
      : error.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
          ? 'not an address of this machine'
          : error.message;
  return new ConfigError(`${flag} ${where}: cannot listen: ${why}`, flag);
}

export function choiceFlag<T extends string>(line: CommandLine, name: string, choices: readonly T[], fallback: T): T {
  const value = stringFlag(line, name) ?? fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`--${name} must be one of ${choices.join(', ')}, not ${JSON.stringify(value)}`, `--${name}`);
  }
  return value as T;
}

export const LOG_FLAGS: Record<string, FlagSpec> = { 'log-format': { type: 'string' }, 'log-level': { type: 'string' } };
export const logUsage = (level: LogLevel = 'info') => `  --log-format text|json     log lines as text (default) or one JSON object per line, on stderr
  --log-level LEVEL          debug, info, warn or error (default ${level})`;

export function logFlags(line: CommandLine, level: LogLevel = 'info'): { format: 'text' | 'json'; level: LogLevel } {
  return {
    format: choiceFlag(line, 'log-format', ['text', 'json'], 'text'),
    level: choiceFlag(line, 'log-level', ['debug', 'info', 'warn', 'error'], level),
  };
}

/** `--inspect ws://HOST:PORT`: a Stately inspector relay's WebSocket URL. */
export function inspectFlag(line: CommandLine): string | undefined {
  const value = stringFlag(line, 'inspect');
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || !url.hostname) {
    throw new ConfigError(`--inspect must be a WebSocket URL like ws://127.0.0.1:8080, not ${JSON.stringify(value)}`, '--inspect');
  }
  return value;
}
