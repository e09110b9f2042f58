/**
 * A fleet of `leasehold run` sidecars seen from outside: every guarded command (CMD) writes its pid
 * to a file named after the runner's identity, and an observer samples /proc to learn which CMDs
 * are alive at each instant. Two alive at once is an overlap; the observer never asks the runners.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { type LeaseApiServer, type LeaseApiServerOptions, startLeaseApiServer } from '../../src/server/index.js';
import { BUILT_CLI, watch } from './cli.js';

/** The process state letter from /proc/PID/stat ("R", "S", "T", "Z", ...), undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** The process group of a live process (field 5 of /proc/PID/stat), undefined once it is gone. */
export function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Alive: it exists and is not a zombie (a zombie no longer runs, it only waits to be reaped). */
export const isAlive = (pid: number) => {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
};

/** Shell snippets for CMDs; each writes `$$` to "$PID_DIR/$LEASEHOLD_IDENTITY.pid" when it starts. */
const PID_FILE = '"$PID_DIR/$LEASEHOLD_IDENTITY.pid"';
export const commands = {
  /** A worker that dies on SIGTERM (sleep's default); it also writes its LEASEHOLD_TERM to "$PID_DIR/$LEASEHOLD_IDENTITY.term". */
  worker: ['sh', '-c', `echo "$LEASEHOLD_TERM" > "$PID_DIR/$LEASEHOLD_IDENTITY.term"; echo $$ > ${PID_FILE}; exec sleep 100000`],
  /** A worker that ignores SIGTERM: only SIGKILL stops it. */
  termIgnoring: ['sh', '-c', `trap '' TERM; echo $$ > ${PID_FILE}; while :; do sleep 1; done`],
  /** A shell that does not exec its worker (npm scripts, wrappers): the worker is a grandchild. */
  nestedShell: ['sh', '-c', `sh -c 'echo $$ > ${PID_FILE}; exec sleep 100000'; true`],
  /** A nested worker that ignores SIGTERM under a shell that dies of it. */
  nestedTermIgnoring: ['sh', '-c', `sh -c 'trap "" TERM; echo $$ > ${PID_FILE}; while :; do sleep 1; done'; true`],
} as const;

interface CmdLife {
  identity: string;
  pid: number;
  /** Local time (ms) it was first and last seen alive. */
  firstAlive: number;
  lastAlive: number;
  /** First sample that found it gone (or a zombie). */
  goneAt: number | null;
}

/** Samples the pid files of a directory every `intervalMs`, checking /proc, until stopped. */
export class CmdObserver {
  readonly lives = new Map<string, CmdLife>();
  /** Most CMDs seen alive in one sample. */
  maxAlive = 0;
  /** Time (ms) during which two or more CMDs were alive, summed over consecutive samples. */
  overlapMs = 0;
  /** Longest gap between two samples: the resolution the figures above have. */
  maxGapMs = 0;
  private lastSample = 0;
  private lastOverlapping = false;
  private readonly timer: NodeJS.Timeout;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly dir: string,
    intervalMs = 2,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const now = performance.now();
    if (this.lastSample) this.maxGapMs = Math.max(this.maxGapMs, now - this.lastSample);
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.pid')) continue;
      const identity = file.slice(0, -'.pid'.length);
      if (this.lives.has(identity)) continue;
      const pid = Number(readFileSync(join(this.dir, file), 'utf8').trim());
      if (pid > 0) this.lives.set(identity, { identity, pid, firstAlive: now, lastAlive: now, goneAt: null });
    }
    let alive = 0;
    for (const life of this.lives.values()) {
      if (life.goneAt !== null) continue;
      if (isAlive(life.pid)) {
        life.lastAlive = now;
        alive++;
      } else life.goneAt = now;
    }
    this.maxAlive = Math.max(this.maxAlive, alive);
    const overlapping = alive >= 2;
    if (overlapping && this.lastOverlapping) this.overlapMs += now - this.lastSample;
    this.lastOverlapping = overlapping;
    this.lastSample = now;
    for (const wake of this.waiters) wake();
  }

  /** Resolves once `condition` holds after a sample. */
  until(condition: (observer: this) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition(this)) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  alive(identity: string): boolean {
    const life = this.lives.get(identity);
    return life !== undefined && life.goneAt === null;
  }

  whenAlive(identity: string): Promise<CmdLife> {
    return this.until(() => this.alive(identity)).then(() => this.lives.get(identity)!);
  }

  whenGone(identity: string): Promise<CmdLife> {
    return this.until(() => this.lives.get(identity)?.goneAt != null).then(() => this.lives.get(identity)!);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The term a worker CMD of `identity` was started with (its LEASEHOLD_TERM). */
export function termOf(fleet: Fleet, identity: string): number {
  return Number(readFileSync(join(fleet.dir, `${identity}.term`), 'utf8'));
}

/** A lease API for a fleet, a kubeconfig file for it, a pid directory and an observer. */
export interface Fleet {
  server: LeaseApiServer;
  api: CoordinationV1Api;
  dir: string;
  kubeconfig: string;
  observer: CmdObserver;
  runners: Runner[];
  /** The stored lease's holder, read from the server; undefined only when it answers 404 (no such lease). */
  holder(lease?: string, namespace?: string): Promise<string | undefined>;
  /** Kills what is left (runners' groups and every CMD seen), stops the server, removes files. */
  close(): Promise<void>;
}

export async function startFleet(options: LeaseApiServerOptions = {}): Promise<Fleet> {
  const server = await startLeaseApiServer(options);
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-fleet-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeConfig());
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeConfig());
  const api = kc.makeApiClient(CoordinationV1Api);
  const observer = new CmdObserver(dir);
  const fleet: Fleet = {
    server,
    api,
    dir,
    kubeconfig,
    observer,
    runners: [],
    holder: async (lease = 'job', namespace = 'default') => {
      // Only a 404 means "no lease": a refused connection or a 401 is a failure, not an untouched lease.
      const stored = await api.readNamespacedLease({ namespace, name: lease }).catch((error: unknown) => {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
      });
      return stored?.spec?.holderIdentity;
    },
    close: async () => {
      observer.stop();
      for (const runner of fleet.runners) runner.destroy();
      for (const life of observer.lives.values()) kill(life.pid, 'SIGKILL');
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
};

export interface Runner {
  identity: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  printed(text: string | RegExp): Promise<void>;
  /** Signals the runner alone, or its whole process group. */
  signal(signal: NodeJS.Signals, scope?: 'process' | 'group'): void;
  /** SIGKILL of the runner's group, and a SIGCONT in case it was stopped; for clean-up. */
  destroy(): void;
}

export interface RunnerOptions {
  /** --identity, and the name tests know the runner by; undefined: the CLI's default identity. */
  identity?: string;
  command: readonly string[];
  /** Flags before `--`; the fleet's kubeconfig, lease "job" and timing are added unless given. */
  flags?: string[];
  env?: NodeJS.ProcessEnv;
  /** The CLI as argv (default: the built bin on this Node), e.g. for a "before" measurement. */
  cli?: readonly string[];
  lease?: string;
  /** Default the fleet's; null passes no --kubeconfig (the CLI finds the cluster itself). */
  kubeconfig?: string | null;
}

/** Fast timings: a 2 s lease, 1.5 s renew deadline, 0.5 s retry (grace defaults to 250 ms). */
export const FAST_TIMING = ['--lease-duration', '2s', '--renew-deadline', '1500ms', '--retry-period', '500ms'];

/** Starts `leasehold run` in its own process group (so its group can be signalled alone). */
export function startRunner(fleet: Pick<Fleet, 'dir' | 'kubeconfig' | 'runners'>, options: RunnerOptions): Runner {
  const { identity, command, cli = [process.execPath, BUILT_CLI], lease = 'job' } = options;
  const flags = options.flags ?? FAST_TIMING;
  const kubeconfig = options.kubeconfig === undefined ? fleet.kubeconfig : options.kubeconfig;
  const args = [
    'run',
    '--lease',
    lease,
    ...(identity === undefined ? [] : ['--identity', identity]),
    ...(kubeconfig === null ? [] : ['--kubeconfig', kubeconfig]),
    ...flags,
    '--',
    ...command,
  ];
  const child = spawn(cli[0]!, [...cli.slice(1), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, PID_DIR: fleet.dir, ...options.env },
  });
  const runner = watchOutput(identity ?? '', child);
  fleet.runners.push(runner);
  return runner;
}

/** Output capture, `printed` waits and signalling for a spawned CLI process. */
export function watchOutput(identity: string, child: ChildProcess): Runner {
  const watched = watch(child);
  const signal = (name: NodeJS.Signals, scope: 'process' | 'group' = 'process') => kill(scope === 'group' ? -child.pid! : child.pid!, name);
  return {
    ...watched,
    identity,
    signal,
    destroy: () => {
      signal('SIGKILL', 'group');
      signal('SIGCONT', 'group');
    },
  };
}

/** Signals a CMD's whole process group (found from outside, in /proc). */
export function signalGroupOf(pid: number, signal: NodeJS.Signals): void {
  const group = processGroup(pid);
  if (group !== undefined) kill(-group, signal);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
