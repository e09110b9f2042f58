/**
 * Runs the leasehold CLI as a user would: the built bin (`npm run build` output, as the package
 * ships it) on this Node, and waits on what it prints (never on a timer).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built command line entry point, the package's bin (the bundle); test/setup/build.ts builds it before the suite. */
export const BUILT_CLI = join(import.meta.dirname, '../../dist/cli/leasehold.cjs');
const TSX = join(import.meta.dirname, '../../node_modules/.bin/tsx');

export function runCli(args: string[], env?: NodeJS.ProcessEnv) {
  return watch(spawn(process.execPath, [BUILT_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env }));
}

/** Runs a TypeScript entry point (a script in visualize/) through tsx. */
export function runScript(script: string, args: string[]) {
  return watch(spawn(TSX, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Collects a child's stdout and stderr; `printed` waits for text, `exited` for its exit code (null: a signal). */
export function watch(child: ReturnType<typeof spawn>) {
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  /** Resolves once the output contains `text` (or matches it); rejects if the process exits first. */
  const printed = (text: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (typeof text === 'string' ? output.includes(text) : text.test(output)) {
          listeners.delete(check);
          resolve();
        }
      };
      listeners.add(check);
      void exited.then((code) => listeners.has(check) && reject(new Error(`exited ${code} before printing ${text}:\n${output}`)));
      check();
    });
  return { child, exited, printed, output: () => output };
}
