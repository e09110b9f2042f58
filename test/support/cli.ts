/** Runs the leasehold CLI as a user would, and waits on what it prints (never on a timer). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const TSX = join(import.meta.dirname, '../../node_modules/.bin/tsx');

export function runCli(args: string[]) {
  return runScript(CLI, args);
}

/** Runs a TypeScript entry point (a CLI, a script in visualize/) the same way. */
export function runScript(script: string, args: string[]) {
  const child = spawn(TSX, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
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
