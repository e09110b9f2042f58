/**
 * The Kubernetes adapters at scale, each workload in a fresh process (bench/kubernetesLoad.ts)
 * against a fresh embedded API server in a process of its own (bench/countingServerProcess.ts), so every
 * CPU and RSS figure belongs to one side:
 *   - 10,000 managed leases of 60 s, each extended every 30 s, through one LeaseManager;
 *   - 1,000 LeaderElectors (one lease each, 15 s / 10 s / 2 s) in one process;
 * with the client's CPU and RSS, the server's CPU over the same window, the connections the server
 * accepted and the requests per minute (and per operation) it served; then, against the same server,
 * a plain keep-alive HTTP client's conditional updates per second beside KubernetesLeaseLock's and
 * the LeaseManager's, each update sent when the last was answered, so the adapter's overhead is a ratio.
 *
 *   npx tsx bench/kubernetes.bench.ts [--window-seconds 60] [--leases 10000] [--electors 1000] [--seconds 10]
 *
 * BENCH_NODE_FLAGS passes Node flags to the workload processes, e.g. "--max-semi-space-size=16": with
 * Node's defaults on a machine with GiBs free, V8 grows its young generation to 128 MiB (two 64 MiB
 * semi-spaces) under any sustained allocation, the largest part of the RSS above the live heap (the
 * "young / old / external" column). BENCH_MEMORY_TRACE=1 prints process.memoryUsage() and V8's heap
 * spaces every 5 s; BENCH_HEAP_SNAPSHOT=FILE writes a heap snapshot at the end of the window.
 */
import { execFileSync, fork } from 'node:child_process';
import type { ServerStats } from './countingServerProcess.js';
import { startCountingServer } from './countingServer.js';
import { option, printTable } from './stats.js';

const LEASES = option('leases', 10_000);
const ELECTORS = option('electors', 1_000);
// The workloads and the server run as compiled JavaScript, as in production: no tsx compiler in their RSS.
console.error('building (npm run build)...');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const passed = process.argv.slice(2);

/** Runs one workload against a server of its own; returns its result and the server's figures over its window. */
async function run(mode: string) {
  console.error(`running ${mode}...`);
  const server = await startCountingServer({ compiled: true });
  const child = fork(new URL('../dist/bench/kubernetesLoad.js', import.meta.url), [mode, '--url', server.url, ...passed], {
    execArgv: ['--expose-gc', ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    stdio: 'inherit',
  });
  let windowStart: ServerStats | undefined;
  let startedAt = 0;
  return new Promise<{ result: Record<string, unknown>; server: ServerStats; before: ServerStats; minutes: number }>((resolve, reject) => {
    child.on('message', (message: { type: string; result?: Record<string, unknown> }) => {
      void (async () => {
        if (message.type === 'window') {
          windowStart = await server.stats();
          startedAt = performance.now();
        } else if (message.type === 'result') {
          const after = await server.stats();
          const before = windowStart ?? after;
          server.close();
          resolve({ result: message.result!, server: after, before, minutes: (performance.now() - startedAt) / 60_000 });
        }
      })();
    });
    child.on('exit', (code) => reject(new Error(`${mode} exited (${code}) before its result`)));
  });
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
const managerRun = await run('manager');
{
  const { result, server: after, before, minutes } = managerRun;
  const rpm = perMinute(after, before, 'manager', minutes);
  const extendsPerMinute = (result.extends as number) / minutes;
  rows.push({
    workload: `${LEASES.toLocaleString('en')} managed leases, one LeaseManager`,
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
const { result: rates } = await run('throughput');

console.log('\neach workload in a fresh process against a fresh embedded API server in its own (noisy shared 2-core machine):');
printTable(rows);
const plain = rates.plain as { perSecond: number; cpuMsPerUpdate: number };
console.log('\nconditional updates, each sent when the last was answered, same server:');
printTable(
  (['plain', 'adapter', 'manager', 'batched'] as const).map((key) => {
    const figures = rates[key] as { perSecond: number; cpuMsPerUpdate: number };
    return {
      client: {
        plain: 'plain keep-alive HTTP (undici, 1 connection)',
        adapter: 'KubernetesLeaseLock.update',
        manager: 'LeaseManager extend (claim by the holder)',
        batched: 'LeaseManager extends, 100 callers at once',
      }[key],
      'updates/s': Math.round(figures.perSecond),
      'client CPU per update': `${figures.cpuMsPerUpdate.toFixed(3)} ms`,
      'plain / this': `${(plain.perSecond / figures.perSecond).toFixed(2)}x`,
    };
  }),
);
process.exit(0);
