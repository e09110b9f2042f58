/**
 * A memory cgroup with a limit, for running a workload as it runs in a pod whose container has
 * `resources.limits.memory` set: Node sizes V8's heap (its young generation included) from the
 * memory the cgroup allows, not from the host's, and the kernel enforces the limit (an overrun is an
 * OOM kill, which the bench reports as the workload exiting early).
 *
 * Needs a writable memory controller (root on cgroup v1, or a delegated cgroup v2 tree). Where there
 * is none, `memoryCgroup` says why and the bench runs that workload without a limit.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MemoryCgroup {
  /** A launcher to fork the workload with (`fork(module, args, { execPath })`): it joins the cgroup, then runs Node. */
  execPath: string;
  /** Removes the cgroup (once its processes have exited) and the launcher. */
  remove(): void;
}

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/memory';

/** A fresh cgroup limited to `limitMiB`, or the reason there can be none here. */
export function memoryCgroup(limitMiB: number): MemoryCgroup | { unavailable: string } {
  const name = `leasehold-bench-${process.pid}-${limitMiB}`;
  const v2 = existsSync(join(V2_ROOT, 'cgroup.controllers')) && readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').includes('memory');
  const directory = v2 ? join(V2_ROOT, name) : join(V1_ROOT, name);
  try {
    mkdirSync(directory);
    writeFileSync(join(directory, v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(limitMiB * 2 ** 20));
  } catch (error) {
    if (existsSync(directory)) rmdirSync(directory);
    return { unavailable: `no writable memory cgroup (${(error as Error).message})` };
  }
  const launcherDirectory = mkdtempSync(join(tmpdir(), 'leasehold-cgroup-'));
  const execPath = join(launcherDirectory, 'node-in-cgroup');
  // exec keeps the PID (so the process itself is in the cgroup) and the IPC channel fork() set up.
  writeFileSync(execPath, `#!/bin/sh\necho $$ > '${join(directory, 'cgroup.procs')}' || exit 125\nexec '${process.execPath}' "$@"\n`);
  chmodSync(execPath, 0o755);
  return {
    execPath,
    remove: () => {
      rmSync(launcherDirectory, { recursive: true, force: true });
      try {
        rmdirSync(directory);
      } catch {
        // A process still inside keeps it; the kernel frees an empty cgroup's memory either way.
      }
    },
  };
}
