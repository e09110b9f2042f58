/** `leasehold serve` in a process of its own (node with the tsx loader, no wrapper), for the server benches. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/support/freePort.js';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Resident set size of the server process, MiB. */
  rssMiB(): number;
  /** What the server logged to stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function startServerProcess(args: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const root = join(import.meta.dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--port', String(port), '--kubeconfig-out', `/tmp/leasehold-bench-${port}.kubeconfig`, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops the server.')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    log: () => log,
    rssMiB: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
