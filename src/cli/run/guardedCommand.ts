/**
 * CMD as a supervised process tree, so that nothing it started outlives the runner's leadership:
 *
 * - CMD runs in a process group (and session) of its own, and every signal goes to the whole group,
 *   so a shell that does not `exec` its worker (`sh -c "worker; true"`, npm scripts, wrappers)
 *   cannot leave the worker running. Stopping waits until no process of the group is left, not
 *   just CMD itself (as systemd's KillMode=control-group), SIGKILLing at the deadline given.
 * - A parent-death guard: a watcher process inside the group holds one end of a socket whose other
 *   end only the runner has. When the runner dies in any way (crash, OOM, SIGKILL) the kernel
 *   closes its end, the watcher reads end-of-file and SIGKILLs the group.
 *
 * Why a socket and not Linux's PR_SET_PDEATHSIG (`setpriv --pdeathsig KILL -- CMD`): the death
 * signal reaches only the one process that set it, never its descendants, so the nested worker above
 * would survive a crashed runner; it fires when the *thread* that forked the child dies, not the
 * process; and it needs util-linux in the image and Linux. The watcher covers the whole group with
 * nothing but /bin/sh. What neither can stop: a descendant that leaves the group on purpose
 * (`setsid`, a daemon that double-forks into a new session).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import { constants as os } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../time/clock.js';

/**
 * Runs as `sh -c GUARD leasehold-guard CMD ARGS...` with the runner's socket on fd 3. The watcher
 * is forked twice (so CMD has no child it does not know of), ignores the group's SIGTERM, reports
 * its pid on fd 3 and blocks reading it; then the guard execs CMD, which keeps the guard's pid.
 */
const GUARD = `( ( trap '' TERM INT HUP; while read -r _ <&3; do :; done; kill -9 0 ) </dev/null >/dev/null 2>&1 & echo $! >&3 )
exec 3>&-
exec "$@"`;

const POLL_MS = 10;

export interface CommandProblem {
  /** The shell's convention: 127 not found, 126 found but not executable. */
  code: 126 | 127;
  reason: string;
}

/** Why `command` cannot be executed with `path` as PATH (searched as execvp does), or undefined. */
export function commandProblem(command: string, path = process.env.PATH ?? ''): CommandProblem | undefined {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).map((dir) => join(dir || '.', command));
  let notExecutable: string | undefined;
  for (const candidate of candidates) {
    let directory: boolean;
    try {
      directory = statSync(candidate).isDirectory();
    } catch {
      continue;
    }
    if (directory) {
      notExecutable ??= `${candidate} is a directory`;
      continue;
    }
    try {
      accessSync(candidate, fs.X_OK);
      return undefined;
    } catch {
      notExecutable ??= `${candidate} is not executable`;
    }
  }
  if (notExecutable) return { code: 126, reason: notExecutable };
  return { code: 127, reason: command.includes('/') ? `${command}: no such file` : `${command}: not found in PATH` };
}

export interface GuardedCommand {
  /** CMD's pid, which is also its process group's id. */
  readonly pid: number;
  /** CMD's exit status: its code, or 128 + the signal that ended it (as a shell reports it). */
  readonly exited: Promise<number>;
  /**
   * SIGTERM to the group now and SIGKILL at `killAt` (clock time; at once when it has passed);
   * resolves when no process of the group is left. Later calls share the first's outcome and can
   * only bring the SIGKILL forward.
   */
  stop(killAt: number): Promise<void>;
  /** SIGKILL to the whole group now (a second SIGINT, a deadline that has passed). */
  kill(): void;
}

export interface GuardOptions {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** The watcher ended while CMD runs: CMD would now outlive a crash of the runner. */
  onGuardLost?: () => void;
}

export function startGuarded(command: string, args: readonly string[], { env, clock, onGuardLost }: GuardOptions): GuardedCommand {
  const child = spawn('/bin/sh', ['-c', GUARD, 'leasehold-guard', command, ...args], {
    detached: true, // setsid(): CMD leads a new session and process group
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env,
  });
  const pid = child.pid ?? -1;
  let leaderGone = false;
  const exited = new Promise<number>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      leaderGone = true;
      resolve(error.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      leaderGone = true;
      resolve(code ?? 128 + (signal ? os.signals[signal] : 0));
    });
  });

  const socket = child.stdio[3] as Socket;
  // The guard writes the watcher's pid before it execs CMD; undefined if it never could.
  const watcher = new Promise<number | undefined>((resolve) => {
    let reported = '';
    socket.on('data', (chunk: Buffer) => {
      reported += chunk.toString();
      if (reported.includes('\n')) resolve(Number.parseInt(reported, 10));
    });
    socket.on('close', () => resolve(undefined));
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (!leaderGone && !stopping) onGuardLost?.();
  });

  const signalGroup = (signal: NodeJS.Signals) => {
    if (pid <= 0) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone
    }
  };
  const sleep = () => new Promise<void>((resolve) => clock.setTimeout(resolve, POLL_MS));
  /** How many members of the group still run, `except` one. */
  const running = (except?: number) => {
    const members = groupMembers(pid);
    if (members === undefined) return leaderGone ? 0 : 1; // no /proc: only CMD itself can be followed
    return members.filter((member) => member !== except).length;
  };

  let stopping: Promise<void> | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  let killTimer: TimerHandle | undefined;
  /** SIGKILL at `killAt`, or at once if it has passed; a later deadline never replaces an earlier one. */
  const killBy = (killAt: number) => {
    if (killAt >= deadline) return;
    deadline = killAt;
    if (killTimer !== undefined) clock.clearTimeout(killTimer);
    const wait = killAt - clock.now();
    if (wait <= 0) signalGroup('SIGKILL');
    else killTimer = clock.setTimeout(() => signalGroup('SIGKILL'), wait);
  };
  const stop = (killAt: number) => {
    if (!stopping && killAt > clock.now()) {
      signalGroup('SIGTERM');
      signalGroup('SIGCONT'); // a stopped process handles SIGTERM only once continued
    }
    killBy(killAt);
    return (stopping ??= (async () => {
      const watcherPid = await watcher;
      while (running(watcherPid) > 0 || !leaderGone) await sleep();
      if (killTimer !== undefined) clock.clearTimeout(killTimer);
      signalGroup('SIGKILL'); // the watcher, and anything started meanwhile
      while (running() > 0) await sleep();
      socket.destroy();
    })());
  };

  return { pid, exited, stop, kill: () => signalGroup('SIGKILL') };
}

/** Pids of the live (not zombie) processes in process group `group`, from /proc; undefined without /proc. */
function groupMembers(group: number): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === group && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}
