/**
 * `leasehold serve --data-dir` killed with SIGKILL in the middle of a fleet of `leasehold run`
 * participants, then restarted on the same directory. Observed from outside: the server's
 * acknowledged writes (through a recording proxy), what the restarted server stored, and the
 * guarded commands' own log of when each ran. No acknowledged write is lost, no term is handed to
 * two holders, no two commands ever run at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { runCli } from '../support/cli.js';
import { onFreePort } from '../support/freePort.js';
import { startServerRecorder } from '../support/serverRecorder.js';

const ROOT = join(import.meta.dirname, '../..');
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/default/leases/crash';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The server as its own single process (no tsx wrapper), so that SIGKILL really kills it, on a free
 * port (another one if that was taken before it bound); resolves once it serves.
 */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  return onFreePort(async (port) => {
    const server = spawnServer(port, dataDir);
    await server.ready;
    return { child: server.child, port };
  });
}

function spawnServer(port: number, dataDir: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', String(port), '--data-dir', dataDir, '--kubeconfig-out', join(dataDir, '..', `server-${port}.kubeconfig`)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops the server.')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)));
  });
  return { child, ready };
}

interface Window {
  identity: string;
  term: number;
  start: bigint;
  stop: bigint | undefined;
}

function windowsIn(log: string): Window[] {
  const windows: Window[] = [];
  for (const line of log.split('\n').filter(Boolean)) {
    const [event, identity, term, at] = line.split(' ') as [string, string, string, string];
    if (event === 'start') windows.push({ identity, term: Number(term), start: BigInt(at), stop: undefined });
    else windows.findLast((w) => w.identity === identity && w.stop === undefined)!.stop = BigInt(at);
  }
  return windows;
}

describe('leasehold serve --data-dir, killed with SIGKILL under a fleet', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('loses no acknowledged write, hands out no term twice, and never lets two commands run at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-crash-'));
    const dataDir = join(dir, 'data');
    const log = join(dir, 'commands.log');
    writeFileSync(log, '');
    const recorder = await startServerRecorder();
    const kubeconfig = join(dir, 'fleet.kubeconfig');
    writeFileSync(kubeconfig, kubeConfigFor(recorder.url));

    const first = await startServer(dataDir);
    children.push(first.child);
    recorder.target(first.port);

    const command = 'echo "start $LEASEHOLD_IDENTITY $LEASEHOLD_TERM $(date +%s%N)" >> "$COMMAND_LOG"; trap \'echo "stop $LEASEHOLD_IDENTITY $LEASEHOLD_TERM $(date +%s%N)" >> "$COMMAND_LOG"; exit 0\' TERM; while true; do sleep 0.02; done';
    const participant = (identity: string) => {
      const cli = runCli(['run', '--lease', 'crash', '--identity', identity, '--kubeconfig', kubeconfig, '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms', '--', 'sh', '-c', command]);
      children.push(cli.child);
      return cli;
    };
    process.env.COMMAND_LOG = log;
    const fleet = new Map(['p1', 'p2', 'p3'].map((identity) => [identity, participant(identity)]));
    const windows = () => windowsIn(readFileSync(log, 'utf8'));
    const until = async (condition: () => boolean, what: string, limit = 60_000) => {
      const started = Date.now();
      while (!condition()) {
        if (Date.now() - started > limit) throw new Error(`gave up waiting for ${what}:\n${readFileSync(log, 'utf8')}`);
        await sleep(50);
      }
    };
    const leading = () => windows().find((w) => w.stop === undefined);

    // A leader, then a hand-over: the leader is stopped (it releases), another takes the lease.
    await until(() => leading() !== undefined, 'a first leader');
    const firstLeader = leading()!.identity;
    fleet.get(firstLeader)!.child.kill('SIGTERM');
    await fleet.get(firstLeader)!.exited;
    fleet.set(firstLeader, participant(firstLeader));
    await until(() => windows().length >= 2 && leading() !== undefined, 'a second leader');
    const renewedBy = (holder: string) => recorder.acknowledged.filter((write) => write.holder === holder).length;
    const renewals = async (what: string) => {
      const holder = leading()!.identity;
      const before = renewedBy(holder);
      await until(() => renewedBy(holder) >= before + 2, what); // seen at the proxy, not slept for
    };
    await renewals('a few renewals by the second leader');

    // SIGKILL the server in the middle of it; nothing answers until it is back.
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    recorder.target(undefined);
    const acknowledgedBeforeCrash = [...recorder.acknowledged];
    const lastAcknowledged = acknowledgedBeforeCrash.at(-1)!;
    await until(() => leading() === undefined, 'the leader to stop its command once it cannot renew', 10_000);

    const second = await startServer(dataDir);
    children.push(second.child);
    const secondPort = second.port;
    // What the restarted server holds, read before any participant can write again: the last
    // acknowledged write (same resourceVersion), or a newer one the server took but never answered.
    const recovered = (await (await fetch(`http://127.0.0.1:${secondPort}${LEASE}`)).json()) as { metadata: { resourceVersion: string }; spec: { holderIdentity: string; leaseTransitions: number } };
    const recoveredVersion = BigInt(recovered.metadata.resourceVersion);
    expect(recoveredVersion).toBeGreaterThanOrEqual(lastAcknowledged.resourceVersion);
    const unanswered = recorder.sent.filter((write) => !write.answered).map(({ holder, transitions }) => ({ version: 'newer', holder, transitions }));
    const possible = [{ version: 'last acknowledged', holder: lastAcknowledged.holder, transitions: lastAcknowledged.transitions }, ...unanswered];
    expect(possible).toContainEqual({
      version: recoveredVersion === lastAcknowledged.resourceVersion ? 'last acknowledged' : 'newer',
      holder: recovered.spec.holderIdentity,
      transitions: recovered.spec.leaseTransitions,
    });
    expect(recovered.spec.leaseTransitions).toBeGreaterThanOrEqual(Math.max(...acknowledgedBeforeCrash.map((w) => w.transitions)));
    recorder.target(secondPort);

    const startsBefore = windows().length;
    await until(() => windows().length > startsBefore && leading() !== undefined, 'a leader after the restart');
    await renewals('a few renewals after the restart');
    for (const cli of fleet.values()) cli.child.kill('SIGTERM');
    await Promise.all([...fleet.values()].map((cli) => cli.exited));
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    await recorder.close();
    delete process.env.COMMAND_LOG;

    // Every acknowledged write after the crash is newer than every one before it.
    const afterCrash = recorder.acknowledged.slice(acknowledgedBeforeCrash.length);
    expect(afterCrash.length).toBeGreaterThan(0);
    for (const write of afterCrash) expect(write.resourceVersion).toBeGreaterThan(lastAcknowledged.resourceVersion);
    // No term handed out twice: each leaseTransitions value has one holder.
    const holders = new Map<number, Set<string>>();
    for (const write of recorder.acknowledged.filter((w) => w.holder !== '')) holders.set(write.transitions, (holders.get(write.transitions) ?? new Set()).add(write.holder));
    for (const [term, who] of holders) expect([...who], `term ${term}`).toHaveLength(1);
    // No two commands ever ran at once, and no term was shared by two holders' commands.
    const all = windows().sort((a, b) => (a.start < b.start ? -1 : 1));
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.stop! < all[i]!.start, `${all[i - 1]!.identity} then ${all[i]!.identity}`).toBe(true);
    const termHolders = new Map<number, Set<string>>();
    for (const w of all) termHolders.set(w.term, (termHolders.get(w.term) ?? new Set()).add(w.identity));
    for (const [term, who] of termHolders) expect([...who], `commands under term ${term}`).toHaveLength(1); // a holder may re-adopt its own
  }, 240_000);
});
