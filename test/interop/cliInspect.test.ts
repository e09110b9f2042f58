/** `--inspect`: the CLI's actors reach the Stately inspector through its relay, as a user wires it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startLeaseApiServer } from '../../src/server/index.js';
import { onFreePort } from '../support/freePort.js';
import { runCli, runScript } from '../support/cli.js';

const RELAY = join(import.meta.dirname, '../../visualize/inspectorRelay.ts');

/** How long a forwarded event may take to come: a hang guard, so that a miss fails with what did come instead of at the test's time-out. */
const WITHIN_MS = 60_000;

/**
 * Starts the relay on a free port (another one if that was taken before it bound) and listens to
 * it as the inspector page would; resolves with what it forwards.
 */
async function relayAndReceiver() {
  const { port, relay } = await onFreePort(async (port) => {
    const relay = runScript(RELAY, ['--port', String(port)]);
    await relay.printed('Stately inspector relay');
    // It prints before it listens: it serves its page once it does, and exits (EADDRINUSE) if it cannot.
    const serving = (async () => {
      for (;;) {
        const page = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
        if (page.includes(`ws://localhost:${port}`)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const exited = relay.exited.then((code) => {
      throw new Error(`the relay exited (${code}):\n${relay.output()}`);
    });
    await Promise.race([serving, exited]);
    return { port, relay };
  });
  const received: StatelyInspectionEvent[] = [];
  const listeners = new Set<() => void>();
  createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((event) => {
    received.push(event);
    for (const listener of listeners) listener();
  });
  /** Resolves with the first forwarded event that satisfies `predicate`; rejects, listing what came, after WITHIN_MS. */
  const receivedWhere = (what: string, predicate: (event: StatelyInspectionEvent) => boolean) =>
    new Promise<StatelyInspectionEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        const seen = received.map((event) => `${event.type}${'name' in event ? ` ${String(event.name)}` : ''}`);
        reject(new Error(`no ${what} forwarded within ${WITHIN_MS} ms; ${received.length} events came: ${[...new Set(seen)].join(', ')}`));
      }, WITHIN_MS);
      const check = () => {
        const found = received.find(predicate);
        if (!found) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      listeners.add(check);
      check();
    });
  return { url: `ws://127.0.0.1:${port}`, relay, receivedWhere, received };
}

const leadingSnapshot = (event: StatelyInspectionEvent) =>
  event.type === '@xstate.snapshot' && (event.snapshot as { value?: unknown }).value === 'leading';
const identityOf = (event: StatelyInspectionEvent) =>
  event.type === '@xstate.actor' || event.type === '@xstate.snapshot' ? String((event.snapshot as { context?: { identity?: unknown } }).context?.identity) : '';

describe('--inspect ws://HOST:PORT', () => {
  let relay: Awaited<ReturnType<typeof relayAndReceiver>>;
  const children: Array<ReturnType<typeof runCli>> = [];
  beforeAll(async () => {
    relay = await relayAndReceiver();
  });
  afterEach(() => stopAll(children.splice(0)));
  afterAll(() => stopAll([relay.relay]));

  it('demo: every participant registers with the inspector and its transitions arrive', async () => {
    const demo = runCli(['demo', '--inspect', relay.url]);
    children.push(demo);
    await demo.printed(`inspection events go to ${relay.url}`);
    const lease = await relay.receivedWhere('lease actor', (event) => event.type === '@xstate.actor' && event.name === 'lease');
    expect(lease.type === '@xstate.actor' && lease.definition).toContain('"initial":"idle"');
    const leading = await relay.receivedWhere('snapshot of a pod leading', (event) => leadingSnapshot(event) && identityOf(event).startsWith('pod-'));
    expect(identityOf(leading)).toMatch(/^pod-[123]$/);
    const sessions = () => new Set(relay.received.flatMap((event) => (event.type === '@xstate.actor' && event.name === 'lease' ? [event.sessionId] : [])));
    await relay.receivedWhere('three lease actors', () => sessions().size === 3);
    expect(sessions().size).toBe(3);
  });

  it("run: the sidecar's elector is inspected too", async () => {
    // Its own embedded server, so a KUBECONFIG in the environment is never touched.
    const server = await startLeaseApiServer();
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'leasehold-inspect-')), 'kubeconfig');
    writeFileSync(kubeconfig, server.kubeConfig());
    onTestFinished(() => server.close());
    const run = runCli(['run', '--lease', 'job', '--identity', 'sidecar', '--kubeconfig', kubeconfig, '--inspect', relay.url, '--', 'node', '-e', 'setInterval(() => {}, 1000)']);
    children.push(run);
    await run.printed('leading: starting CMD');
    const leading = await relay.receivedWhere("the sidecar's snapshot leading", (event) => leadingSnapshot(event) && identityOf(event) === 'sidecar');
    expect(identityOf(leading)).toBe('sidecar');
  });

  it('refuses a URL that is not ws:// or wss://, and --ui-port without --ui (exit 2)', async () => {
    const cases = [
      { args: ['demo', '--inspect', 'http://127.0.0.1:8080'], says: 'leasehold demo: --inspect must be a WebSocket URL like ws://127.0.0.1:8080, not "http://127.0.0.1:8080"' },
      { args: ['demo', '--inspect', 'localhost:8080'], says: '--inspect must be a WebSocket URL' },
      { args: ['demo', '--ui-port', '8088'], says: 'leasehold demo: --ui-port needs --ui' },
      { args: ['demo', '--ui', '--ui-port', 'web'], says: '--ui-port must be a port 0-65535' },
      // Refused before anything connects: no lease, no API server.
      { args: ['run', '--lease', 'job', '--inspect', 'nonsense', '--', 'true'], says: 'leasehold run: --inspect must be a WebSocket URL' },
    ];
    const runs = cases.map((c) => ({ ...c, cli: runCli(c.args) }));
    for (const { args, says, cli } of runs) {
      expect(await cli.exited, args.join(' ')).toBe(2);
      expect(cli.output(), args.join(' ')).toContain(says);
    }
  });
});

async function stopAll(started: Array<ReturnType<typeof runCli>>) {
  for (const { child, exited } of started) {
    child.kill('SIGTERM');
    await exited;
  }
}
