/** A small flag parser for the CLI: --name value, --name=value, --flag; clear errors for the rest. */
import { ConfigError } from '../lease/errors.js';

export interface FlagSpec {
  /** Flags that take a value. */
  values: readonly string[];
  /** Flags that do not. */
  switches?: readonly string[];
}

export interface ParsedFlags {
  values: Map<string, string>;
  switches: Set<string>;
  /** Arguments after `--`. */
  rest: string[];
}

export function parseFlags(args: readonly string[], spec: FlagSpec, command: string): ParsedFlags {
  const parsed: ParsedFlags = { values: new Map(), switches: new Set(), rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      parsed.rest = args.slice(i + 1);
      break;
    }
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ConfigError(`${command}: unexpected argument ${JSON.stringify(arg)}`, arg);
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    if (spec.switches?.includes(name)) {
      if (inline !== undefined) throw new ConfigError(`${command}: --${name} takes no value`, name);
      parsed.switches.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        throw new ConfigError(`${command}: --${name} needs a value`, name);
      }
      parsed.values.set(name, value);
    } else {
      throw new ConfigError(`${command}: unknown flag --${name}`, name);
    }
  }
  return parsed;
}

export function portFlag(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new ConfigError(`${command}: --port must be 0-65535, not ${JSON.stringify(value)}`, 'port');
  return port;
}
