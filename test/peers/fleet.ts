/**
 * A mixed fleet on one Lease, seen from outside: client-go electors (test/peers/client-go),
 * `leasehold run` (the built bin) and leasehold library participants (test/peers/leaseholdElector.ts
 * on the built package), each a process of its own behind its own black-hole proxy, all guarding
 * work that appends to one shared effects file (effects.ts judges overlap from it). The fleet also
 * watches the Lease and keeps every version it saw, with the time it saw it.
 *
 * Against the embedded server (started here), or kube-apiserver when LEASEHOLD_KUBECONFIG names a
 * kubeconfig (namespace LEASEHOLD_NAMESPACE, default "default"; every fleet its own Lease, deleted
 * at the end).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig, type V1Lease, Watch } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { BUILT_CLI, watch } from '../support/cli.js';
import { isAlive } from '../support/sidecar.js';
import { type BlackholeProxy, startBlackholeProxy } from './blackholeProxy.js';
import { goPeers, pythonClient } from './build.js';
import { describeTenures, type Effect, EffectsReader, overlapsOf, type Tenure, tenuresOf } from './effects.js';

/** The embedded server, started per fleet, or the kube-apiserver LEASEHOLD_KUBECONFIG names. */
export type Target = 'embedded' | 'real';

export interface FleetOptions {
  /** For 'real': another kubeconfig than LEASEHOLD_KUBECONFIG (a benchmark's own server). */
  kubeconfig?: string;
}

/** Go duration strings, as every peer's flags take them. client-go writes whole seconds of leaseDuration. */
export interface Timing {
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
}

/**
 * The mixed fleet's timing: short, and safe for client-go, whose leader acts up to retryPeriod +
 * renewDeadline after its last successful renew (its renew deadline counts from the start of each
 * round of attempts, and a round starts retryPeriod after the last success), plus, with
 * ReleaseOnCancel, one request timeout (max(1 s, renewDeadline/2)) for the release it tries before
 * OnStoppedLeading: 0.5 + 1.5 + 1 = 3 s, within the 4 s leaseDuration.
 */
export const MIXED_TIMING: Timing = { leaseDuration: '4s', renewDeadline: '1500ms', retryPeriod: '500ms' };

/** `python` is the official Python client's elector (python/elector.py): for benchmarks and documented behaviour, never in zero-overlap claims. */
export type PeerKind = 'client-go' | 'leasehold run' | 'leasehold library' | 'python';

export interface PeerOptions {
  identity: string;
  timing?: Timing;
  releaseOnCancel?: boolean;
  /** client-go: labels set on the Lease by its holder (resourcelock.NewWithLabels). */
  labels?: Record<string, string>;
  /** Flags added to `leasehold run`'s. */
  flags?: string[];
  /** Straight to the API server, without a black-hole proxy (benchmarks). */
  direct?: boolean;
  /** A kubeconfig file of its own (a benchmark's counting proxy); implies no black-hole proxy. */
  kubeconfig?: string;
}

/** One line a peer printed: the client-go elector's and the library peer's JSON events, or `leasehold run`'s JSON log. */
export type PeerEvent = Record<string, unknown> & { event?: string; msg?: string };

export interface Peer {
  kind: PeerKind;
  identity: string;
  options: PeerOptions;
  child: ChildProcess;
  proxy: BlackholeProxy;
  exited: Promise<number | null>;
  output(): string;
  events(): PeerEvent[];
  /** Resolves once the peer has read the lease and found another holder (it waits as a candidate). */
  waiting(): Promise<void>;
  /** Signals the peer's own process. */
  signal(signal: NodeJS.Signals): void;
  /** SIGSTOP of every process group of the peer's process tree (a paused pod), and the SIGCONT that ends it. */
  pause(): void;
  resume(): void;
  /** Writes a line to the peer's stdin (the library peer takes `handover ID`). */
  send(line: string): void;
  /** Pids of the peer's process tree as it is now. */
  tree(): number[];
}

const ROOT = join(import.meta.dirname, '../..');
const LIBRARY_PEER = join(import.meta.dirname, 'leaseholdElector.ts');
const PYTHON_PEER = join(import.meta.dirname, 'python/elector.py');

/** A Go duration ("1500ms", "4s") in seconds, as the Python elector takes it. */
const seconds = (duration: string) => {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(duration);
  if (!match) throw new Error(`unsupported duration ${duration}`);
  return String(Number(match[1]) / (match[2] === 'ms' ? 1000 : 1));
};

interface ProcessInfo {
  ppid: number;
  pgid: number;
}

/** Every live process's parent and group, from /proc. */
function processTable(): Map<number, ProcessInfo> {
  const table = new Map<number, ProcessInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      table.set(Number(entry), { ppid: Number(fields[1]), pgid: Number(fields[2]) });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** A process and its descendants, plus whatever is left in their groups (orphans reparented away). */
export function processTree(root: number, table = processTable()): number[] {
  const tree = new Set<number>(table.has(root) ? [root] : []);
  let grew = true;
  while (grew) {
    grew = false;
    const groups = new Set([...tree].map((pid) => table.get(pid)!.pgid));
    for (const [pid, info] of table) {
      if (!tree.has(pid) && (tree.has(info.ppid) || groups.has(info.pgid))) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

const kill = (target: number, signal: NodeJS.Signals) => {
  try {
    process.kill(target, signal);
  } catch {
    // gone already
  }
};

export interface LeaseVersion {
  type: string;
  resourceVersion: string;
  spec: NonNullable<V1Lease['spec']>;
  labels: Record<string, string>;
  /** CLOCK_MONOTONIC (ns) when this process saw it: the same clock as the effects'. */
  seenMonoNs: number;
}

export interface MixedFleet {
  target: Target;
  dir: string;
  namespace: string;
  lease: string;
  effectsFile: string;
  api: CoordinationV1Api;
  /** Every version of the Lease the fleet's watch saw, in order. */
  history: LeaseVersion[];
  peers: Peer[];
  start(kind: PeerKind, options: PeerOptions): Promise<Peer>;
  /** Starts `peer` again (same kind, identity, options and proxy), as a kubelet restarts a container. */
  restart(peer: Peer): Promise<Peer>;
  effects(): Effect[];
  tenures(): Tenure[];
  /** Resolves once `identity`'s guarded work has written an effect (after the first `after` effects). */
  whenActing(identity: string, after?: number): Promise<Effect>;
  /** Resolves once anyone's guarded work has written an effect after the first `after` effects. */
  whenAnyActing(after: number): Promise<Effect>;
  /** Resolves once the Lease's history holds a version satisfying `predicate` (at index `after` or later). */
  whenLease(predicate: (version: LeaseVersion) => boolean, after?: number): Promise<LeaseVersion>;
  stored(): Promise<V1Lease>;
  /** Replaces the stored Lease after `change` (another client's edit), read again on a conflict. */
  edit(change: (lease: V1Lease) => void): Promise<V1Lease>;
  /** Fails with the tenures when any two overlap. */
  assertNoOverlap(): void;
  /** The peers' last output lines, the Lease's history and the tenures: what a failed test prints. */
  report(): string;
  close(): Promise<void>;
}

/** Polls `probe` until it returns a value (a file written by another process has no event to wait on). */
async function until<T>(probe: () => T | undefined, what: string, limitMs = 60_000): Promise<T> {
  const giveUp = performance.now() + limitMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > giveUp) throw new Error(`gave up after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function mixedFleet(target: Target, name: string, options: FleetOptions = {}): Promise<MixedFleet> {
  const peersBuilt = await goPeers();
  const server: LeaseApiServer | undefined = target === 'embedded' ? await startLeaseApiServer() : undefined;
  const baseConfig = server ? server.kubeConfig() : readFileSync(options.kubeconfig ?? process.env.LEASEHOLD_KUBECONFIG!, 'utf8');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(baseConfig);
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const namespace = server ? 'default' : (process.env.LEASEHOLD_NAMESPACE ?? 'default');
  const lease = server ? name : `leasehold-peers-${name}-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-peers-'));
  const effectsFile = join(dir, 'effects.jsonl');
  const effectsReader = new EffectsReader(effectsFile);
  const serverUrl = new URL(kubeConfig.getCurrentCluster()!.server);
  const history: LeaseVersion[] = [];
  const waiters = new Set<() => void>();

  // The fleet's own watch of the Lease: every version, when it was seen.
  let watching: AbortController | undefined;
  let closed = false;
  const follow = async (resourceVersion?: string) => {
    if (closed) return;
    const query = { fieldSelector: `metadata.name=${lease}`, allowWatchBookmarks: false, ...(resourceVersion ? { resourceVersion } : {}) };
    watching = await new Watch(kubeConfig).watch(
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
      query,
      (type, object: V1Lease) => {
        if (type === 'BOOKMARK' || type === 'ERROR') return;
        history.push({ type, resourceVersion: object.metadata!.resourceVersion!, spec: object.spec ?? {}, labels: object.metadata?.labels ?? {}, seenMonoNs: Number(process.hrtime.bigint()) });
        for (const wake of waiters) wake();
      },
      () => void follow(history.at(-1)?.resourceVersion ?? resourceVersion).catch(() => undefined),
    );
  };
  await follow();

  /** A kubeconfig for one peer: the cluster reached through its proxy, everything else as given. */
  const kubeconfigThrough = (proxy: BlackholeProxy, identity: string): string => {
    const config = yaml.load(baseConfig) as { clusters: { cluster: { server: string } }[] };
    for (const { cluster } of config.clusters) cluster.server = `${serverUrl.protocol}//${proxy.address}`;
    const file = join(dir, `kubeconfig-${identity}`);
    writeFileSync(file, yaml.dump(config));
    return file;
  };

  const effectsCommand = [peersBuilt.effects, '--file', effectsFile, '--every', '10ms'];
  let python: string | undefined;

  const baseKubeconfig = join(dir, 'kubeconfig');
  writeFileSync(baseKubeconfig, baseConfig);

  const start = async (kind: PeerKind, options: PeerOptions, reuse?: BlackholeProxy): Promise<Peer> => {
    const { identity, timing = MIXED_TIMING } = options;
    if (kind === 'python') python ??= (await pythonClient()).python;
    const proxy = reuse ?? (await startBlackholeProxy({ host: serverUrl.hostname, port: Number(serverUrl.port || (serverUrl.protocol === 'https:' ? 443 : 80)) }));
    const kubeconfig = options.kubeconfig ?? (options.direct ? baseKubeconfig : kubeconfigThrough(proxy, identity));
    const common = ['--kubeconfig', kubeconfig, '--namespace', namespace, '--lease', lease, '--identity', identity];
    const durations = ['--lease-duration', timing.leaseDuration, '--renew-deadline', timing.renewDeadline, '--retry-period', timing.retryPeriod];
    const releaseOnCancel = options.releaseOnCancel ? ['--release-on-cancel'] : [];
    const [command, args] = ((): [string, string[]] => {
      switch (kind) {
        case 'client-go': {
          const labels = options.labels ? ['--labels', Object.entries(options.labels).map(([k, v]) => `${k}=${v}`).join(',')] : [];
          return [peersBuilt.elector, [...common, ...durations, ...releaseOnCancel, ...labels, '--', ...effectsCommand]];
        }
        case 'leasehold run':
          return [process.execPath, [BUILT_CLI, 'run', ...common, ...durations, '--log-format', 'json', ...(options.flags ?? []), '--', ...effectsCommand]];
        case 'leasehold library':
          return [process.execPath, ['--no-warnings', LIBRARY_PEER, ...common, ...durations, ...releaseOnCancel, '--effects', effectsFile]];
        case 'python': {
          const inSeconds = ['--lease-duration', seconds(timing.leaseDuration), '--renew-deadline', seconds(timing.renewDeadline), '--retry-period', seconds(timing.retryPeriod)];
          return [python!, [PYTHON_PEER, ...common, ...inSeconds, '--', ...effectsCommand]];
        }
      }
    })();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const watched = watch(child);
    let pausedGroups: number[] = [];
    const events = () =>
      watched
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          try {
            return JSON.parse(line) as PeerEvent;
          } catch {
            return {};
          }
        });
    const peer: Peer = {
      kind,
      identity,
      options,
      child,
      proxy,
      exited: watched.exited,
      output: watched.output,
      events,
      waiting: () => {
        if (kind === 'leasehold run') return watched.printed('lease held by another process: waiting');
        if (kind === 'python') return watched.printed('lease held by'); // the library's own log line
        return watched.printed(new RegExp(`"event":"new-leader"[^\\n]*"leader":"(?!${identity}")[^"]+"`));
      },
      signal: (signal) => kill(child.pid!, signal),
      pause: () => {
        const table = processTable();
        pausedGroups = [...new Set(processTree(child.pid!, table).map((pid) => table.get(pid)!.pgid))];
        for (const group of pausedGroups) kill(-group, 'SIGSTOP');
      },
      resume: () => {
        for (const group of pausedGroups) kill(-group, 'SIGCONT');
        pausedGroups = [];
      },
      send: (line) => child.stdin!.write(`${line}\n`),
      tree: () => processTree(child.pid!),
    };
    child.stdin!.on('error', () => undefined);
    fleet.peers.push(peer);
    return peer;
  };

  const fleet: MixedFleet = {
    target,
    dir,
    namespace,
    lease,
    effectsFile,
    api,
    history,
    peers: [],
    start: (kind, options) => start(kind, options),
    restart: (peer) => start(peer.kind, peer.options, peer.proxy),
    effects: () => effectsReader.read(),
    tenures: () => tenuresOf(effectsReader.read()),
    whenActing: (identity, after = 0) => until(() => effectsReader.read().find((effect) => effect.index >= after && effect.who === identity), `${identity} to act`),
    whenAnyActing: (after) => until(() => effectsReader.read()[after], 'anyone to act'),
    whenLease: (predicate, after = 0) =>
      new Promise((resolve) => {
        const check = () => {
          const found = history.find((version, index) => index >= after && predicate(version));
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      }),
    stored: () => api.readNamespacedLease({ name: lease, namespace }),
    edit: async (change) => {
      // The holder renews meanwhile: read again and retry on 409, as kubectl edit would have you.
      for (let attempt = 1; ; attempt++) {
        const existing = await api.readNamespacedLease({ name: lease, namespace });
        delete existing.metadata?.managedFields;
        change(existing);
        try {
          return await api.replaceNamespacedLease({ name: lease, namespace, body: existing });
        } catch (error) {
          if ((error as { code?: number }).code !== 409 || attempt === 10) throw error;
        }
      }
    },
    assertNoOverlap: () => {
      const overlaps = overlapsOf(fleet.tenures());
      if (overlaps.length === 0) return;
      const lines = overlaps.map((o) => `${o.earlier.who} (pid ${o.earlier.pid}) acted ${o.ms.toFixed(1)} ms into ${o.later.who}'s (pid ${o.later.pid}) tenure`);
      throw new Error(`overlapping effects:\n${lines.join('\n')}`);
    },
    report: () => {
      const outputs = fleet.peers.map((peer) => `--- ${peer.kind} ${peer.identity} (pid ${peer.child.pid}, exit ${peer.child.exitCode ?? peer.child.signalCode ?? 'running'}):\n${peer.output().split('\n').slice(-25).join('\n')}`);
      const versions = history.map((version) => `${version.type} rv ${version.resourceVersion} holder ${JSON.stringify(version.spec.holderIdentity)} transitions ${version.spec.leaseTransitions} duration ${version.spec.leaseDurationSeconds}`);
      return [...outputs, '--- lease history:', ...versions, '--- tenures:', describeTenures(fleet.tenures())].join('\n');
    },
    close: async () => {
      closed = true;
      watching?.abort();
      for (const peer of fleet.peers) {
        const tree = peer.tree();
        peer.resume();
        for (const pid of tree) kill(pid, 'SIGKILL');
        await until(() => (tree.some(isAlive) ? undefined : true), `${peer.identity}'s processes to die`, 10_000);
      }
      for (const proxy of new Set(fleet.peers.map((peer) => peer.proxy))) await proxy.close();
      if (server) await server.close();
      else await api.deleteNamespacedLease({ name: lease, namespace }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}
