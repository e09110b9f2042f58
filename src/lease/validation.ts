/**
 * The one way options are validated, by every facade and adapter: a list of rules, each one plain
 * sentence, checked in order before anything starts; the first rule broken throws ConfigError
 * naming its field (client-go's NewLeaderElector validates the same way).
 */
import { ConfigError, type LeaseErrorContext } from './errors.js';

/** One rule: when `broken`, what it `says`; or, where finding the fault is the work, its `problem` (undefined: none). */
export type Rule<T> = { field: string } & (
  | { broken(options: T): boolean; says: string | ((options: T) => string) }
  | { problem(options: T): string | undefined }
);

function problemOf<T>(options: T, rule: Rule<T>): string | undefined {
  if ('problem' in rule) return rule.problem(options);
  if (!rule.broken(options)) return undefined;
  return typeof rule.says === 'string' ? rule.says : rule.says(options);
}

/** Throws ConfigError for the first rule `options` break; returns them when none is. */
export function validate<T>(options: T, rules: readonly Rule<T>[], context: LeaseErrorContext = {}): T {
  for (const rule of rules) {
    const problem = problemOf(options, rule);
    if (problem !== undefined) throw new ConfigError(problem, rule.field, context);
  }
  return options;
}

/** `what: why` when there is a `why`. */
export const because = (why: string | undefined, what: string): string | undefined => (why === undefined ? undefined : `${what}: ${why}`);

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** `field` is a finite number, and `test` holds for it; `says` what it must be. */
export function numberRule<T>(field: keyof T & string, test: (value: number) => boolean, says: string | ((options: T) => string)): Rule<T> {
  return { field, broken: (options) => !isNumber(options[field]) || !test(options[field] as number), says };
}

/** Rules that apply only when `field` is given. */
export function whenGiven<T>(field: keyof T & string, rules: readonly Rule<T>[]): Rule<T>[] {
  return rules.map((rule) => ({ field: rule.field, problem: (options: T) => (options[field] === undefined ? undefined : problemOf(options, rule)) }));
}
