/**
 * `npm run cluster` leaves nothing behind however it ends: its etcd and kube-apiserver processes and
 * its state folder are gone after Ctrl-C, after a SIGKILL of the command itself, after a SIGKILL of
 * the process that started it, and when the command it ran exits. Observed from outside: /proc
 * (processes whose arguments name the state folder) and the file system.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { watch } from '../support/cli.js';
import { describeOnPrivateControlPlane } from '../support/realCluster.js';

const ROOT = join(import.meta.dirname, '../..');
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Pids of live processes whose command line mentions `text`. */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `npm run cluster` as the script runs it, under `sh` (as npm starts it); resolves once it is up, with its state folder. */
async function cluster(args: string[] = []) {
  const child = spawn('sh', ['-c', `"${process.execPath}" --import tsx test/cluster/main.ts ${args.join(' ')}; echo "sh: exit $?"`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const run = watch(child);
  await run.printed(/kubeconfig (\S+)\/kubeconfig/);
  const dir = /kubeconfig (\S+)\/kubeconfig/.exec(run.output())![1]!;
  expect(processesNaming(dir), 'etcd and kube-apiserver running').toHaveLength(2);
  return { run, dir, shell: child };
}

/** Resolves once no process names `dir` and the folder is gone (the owner may take a moment to notice). */
async function nothingLeft(dir: string): Promise<void> {
  while (processesNaming(dir).length > 0 || existsSync(dir)) await new Promise((resolve) => setTimeout(resolve, 50));
}

const nodeUnder = (shell: number) => readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).find((pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === shell;
  } catch {
    return false;
  }
})!;

describeOnPrivateControlPlane('npm run cluster leaves nothing behind', () => {
  it('Ctrl-C (SIGINT): it stops both processes and removes its state', async () => {
    const { dir, shell } = await cluster();
    process.kill(nodeUnder(shell.pid!), 'SIGINT');
    await nothingLeft(dir);
  });

  it('SIGKILL of the command itself: the parent-death signals stop both, and etcd removes the state', async () => {
    const { dir, shell } = await cluster();
    process.kill(nodeUnder(shell.pid!), 'SIGKILL');
    await nothingLeft(dir);
  });

  it('SIGKILL of the process that started it (npm, a shell): it notices and stops', async () => {
    const { dir, shell } = await cluster();
    shell.kill('SIGKILL');
    await nothingLeft(dir);
  });

  it('-- CMD: runs CMD with LEASEHOLD_KUBECONFIG, exits with its status, and stops', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/cluster/main.ts', '--', 'sh', '-c', 'test -s "$LEASEHOLD_KUBECONFIG" && echo "dir=$(dirname "$LEASEHOLD_KUBECONFIG")" && exit 7'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    const run = watch(child);
    expect(await run.exited, run.output()).toBe(7);
    const dir = /dir=(\S+)/.exec(run.output())![1]!;
    await nothingLeft(dir);
  });
});
