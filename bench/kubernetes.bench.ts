/**
 * The Kubernetes adapters at scale, each workload in a fresh process (bench/kubernetesLoad.ts)
 * against a fresh embedded API server in a process of its own (bench/countingServerProcess.ts), so every
 * CPU and RSS figure belongs to one side:
 *   - 10,000 managed leases of 60 s, each extended every 30 s, through one LeaseManager: with Node's
 *     defaults, then inside a memory cgroup of each `--memory-limits` size (MiB; default 1024,512), as
 *     in a pod with that memory limit, where Node sizes V8's heap from the limit instead of the host;
 *   - 1,000 LeaderElectors (one lease each, 15 s / 10 s / 2 s) in one process;
 * with the client's CPU and RSS, the server's CPU over the same window, the connections the server
 * accepted and the requests per minute (and per operation) it served; then, against the same server,
 * a plain keep-alive HTTP client's conditional updates per second beside the adapters' (KubernetesLeaseLock,
 * KubernetesManagedLeaseStore) and the LeaseManager's, each update sent when the last was answered, the
 * clients taking turns for `--rounds` rounds, so the adapter's overhead is a ratio of figures taken side by side.
 *
 *   npx tsx bench/kubernetes.bench.ts [--window-seconds 60] [--leases 10000] [--electors 1000] [--seconds 3] [--rounds 5] [--memory-limits 1024,512]
 *
 * BENCH_NODE_FLAGS passes Node flags to the workload processes, e.g. "--max-old-space-size=512
 * --max-semi-space-size=16", which size V8's heap as a 1 GiB memory limit does: with Node's defaults
 * on a machine with GiBs free, V8 grows its young generation to 128 MiB (two 64 MiB semi-spaces) under
 * any sustained allocation and lets old-space garbage grow under a 4 GiB heap limit, most of the RSS
 * above the live heap (the "young / old / external" column). BENCH_MEMORY_TRACE=1 prints process.memoryUsage() and V8's heap
 * spaces every 5 s; BENCH_HEAP_SNAPSHOT=FILE writes a heap snapshot at the end of the window.
 */
import { execFileSync, fork } from 'node:child_process';
import type { ServerStats } from './countingServerProcess.js';
import { startCountingServer } from './countingServer.js';
import { memoryCgroup } from './memoryCgroup.js';
import type { Rate } from './kubernetesLoad.js';
import { option, percentile, printTable } from './stats.js';

const LEASES = option('leases', 10_000);
const ELECTORS = option('electors', 1_000);
// The workloads and the server run as compiled JavaScript, as in production: no tsx compiler in their RSS.
console.error('building (npm run build)...');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const passed = process.argv.slice(2);
const limitsIndex = passed.indexOf('--memory-limits');
const MEMORY_LIMITS = (limitsIndex >= 0 ? passed[limitsIndex + 1]! : '1024,512').split(',').filter(Boolean).map(Number);

/**
 * Runs one workload against a server of its own (the workload in `execPath`'s cgroup, if given);
 * returns its result and the server's figures over its window, once the workload has exited (so
 * that its cgroup is empty and can be removed).
 */
async function run(mode: string, execPath?: string) {
  console.error(`running ${mode}${execPath ? ' in a memory cgroup' : ''}...`);
  const server = await startCountingServer({ compiled: true });
  const child = fork(new URL('../dist/bench/kubernetesLoad.js', import.meta.url), [mode, '--url', server.url, ...passed], {
    execArgv: ['--expose-gc', ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    ...(execPath ? { execPath } : {}),
    stdio: 'inherit',
  });
  let windowStart: ServerStats | undefined;
  let startedAt = 0;
  type Outcome = { result: Record<string, unknown>; server: ServerStats; before: ServerStats; minutes: number };
  let outcome: Promise<Outcome> | undefined;
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
  child.on('message', (message: { type: string; result?: Record<string, unknown> }) => {
    if (message.type === 'window') {
      startedAt = performance.now();
      void server.stats().then((stats) => (windowStart = stats));
    } else if (message.type === 'result') {
      const minutes = (performance.now() - startedAt) / 60_000;
      outcome = server.stats().then((after) => ({ result: message.result!, server: after, before: windowStart ?? after, minutes }));
    }
  });
  const [code, signal] = await exited;
  try {
    if (!outcome) {
      const killed = signal === 'SIGKILL' && execPath ? ' (killed: over its memory limit?)' : '';
      throw new Error(`${mode} exited (${code ?? signal}) before its result${killed}`);
    }
    return await outcome;
  } finally {
    server.close();
  }
}

const requestsBy = (stats: ServerStats, who: string) =>
  Object.entries(stats.requests)
    .filter(([key]) => key.startsWith(`${who} `))
    .reduce<Record<string, number>>((verbs, [key, n]) => ({ ...verbs, [key.slice(who.length + 1)]: n }), {});
const perMinute = (after: ServerStats, before: ServerStats, who: string, minutes: number) => {
  const [now, then] = [requestsBy(after, who), requestsBy(before, who)];
  return Object.fromEntries(Object.entries(now).map(([verb, n]) => [verb, Math.round((n - (then[verb] ?? 0)) / minutes)]).filter(([, n]) => n !== 0));
};
const describe = (verbs: Record<string, number>) =>
  Object.entries(verbs)
    .sort()
    .map(([verb, n]) => `${verb} ${n.toLocaleString('en')}`)
    .join(', ');
const memoryParts = (result: Record<string, unknown>) =>
  (['youngMiB', 'oldMiB', 'externalMiB'] as const).map((part) => Math.round(result[part] as number)).join(' / ') + ' MiB';
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
const serverCpu = (after: ServerStats, before: ServerStats, minutes: number) => (after.cpuMs - before.cpuMs) / (minutes * 60_000);

const rows: Record<string, string | number>[] = [];
/** The manager workload, in a cgroup limited to `limitMiB` if given (and possible here). */
async function managerRow(limitMiB?: number) {
  const cgroup = limitMiB === undefined ? undefined : memoryCgroup(limitMiB);
  if (cgroup && 'unavailable' in cgroup) {
    console.error(`skipping the ${limitMiB} MiB run: ${cgroup.unavailable}`);
    return;
  }
  const managerRun = await run('manager', cgroup?.execPath).finally(() => cgroup?.remove());
  const { result, server: after, before, minutes } = managerRun;
  const rpm = perMinute(after, before, 'manager', minutes);
  const extendsPerMinute = (result.extends as number) / minutes;
  rows.push({
    workload: `${LEASES.toLocaleString('en')} managed leases, one LeaseManager${limitMiB === undefined ? '' : `, ${limitMiB} MiB memory limit`}`,
    'client CPU': percent(result.cpu as number),
    'client RSS (live heap)': `${Math.round(result.rssMiB as number)} MiB (${Math.round(result.heapMiB as number)} MiB)`,
    'young / old / external': memoryParts(result),
    'server CPU': percent(serverCpu(after, before, minutes)),
    'connections (total)': after.connections,
    'requests per minute': describe(rpm),
    'requests per extend': (Object.values(rpm).reduce((sum: number, n) => sum + Number(n), 0) / extendsPerMinute).toFixed(2),
    held: `${result.held}, ${result.failures} failed, ${result.queued} queued`,
  });
}
await managerRow();
for (const limit of MEMORY_LIMITS) await managerRow(limit);
const electorsRun = await run('electors');
{
  const { result, server: after, before, minutes } = electorsRun;
  rows.push({
    workload: `${ELECTORS.toLocaleString('en')} LeaderElectors, one process`,
    'client CPU': percent(result.cpu as number),
    'client RSS (live heap)': `${Math.round(result.rssMiB as number)} MiB (${Math.round(result.heapMiB as number)} MiB)`,
    'young / old / external': memoryParts(result),
    'server CPU': percent(serverCpu(after, before, minutes)),
    'connections (total)': after.connections,
    'requests per minute': describe(perMinute(after, before, 'electors', minutes)),
    'requests per extend': '-',
    held: `${result.leading} leading`,
  });
}
const { result: throughput } = await run('throughput');

console.log('\neach workload in a fresh process against a fresh embedded API server in its own (noisy shared 2-core machine):');
printTable(rows);
const clientNames = {
  plain: 'plain keep-alive HTTP (undici, 1 connection)',
  adapter: 'KubernetesLeaseLock.update',
  store: 'KubernetesManagedLeaseStore.claim (extend)',
  manager: 'LeaseManager extend (claim by the holder)',
  batched: 'LeaseManager extends, 100 callers at once',
} as const;
const rounds = throughput.rounds as Record<keyof typeof clientNames, Rate>[];
/** Median and range of a figure over the rounds. */
const spread = (values: number[], format: (value: number) => string) =>
  `${format(percentile(values, 50))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
console.log(`\nconditional updates, each sent when the last was answered, same server, ${rounds.length} rounds taking turns: median (range)`);
printTable(
  (Object.keys(clientNames) as (keyof typeof clientNames)[]).map((key) => ({
    client: clientNames[key],
    'updates/s': spread(rounds.map((round) => round[key].perSecond), (n) => Math.round(n).toLocaleString('en')),
    'client CPU per update': spread(rounds.map((round) => round[key].cpuMsPerUpdate), (n) => `${n.toFixed(3)} ms`),
    'plain / this, same round': spread(rounds.map((round) => round.plain.perSecond / round[key].perSecond), (n) => `${n.toFixed(2)}x`),
  })),
);
process.exit(0);
