/** `--inspect`: the CLI's actors reach the Stately inspector through its relay, as a user wires it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startLeaseApiServer } from '../../src/server/index.js';
import { freePort } from '../support/freePort.js';
import { runCli, runScript } from '../support/cli.js';

const RELAY = join(import.meta.dirname, '../../visualize/inspectorRelay.ts');

/** Starts the relay and listens to it as the inspector page would; resolves with what it forwards. */
async function relayAndReceiver() {
  const port = await freePort();
  const relay = runScript(RELAY, ['--port', String(port)]);
  await relay.printed('Stately inspector relay');
  const received: StatelyInspectionEvent[] = [];
  const listeners = new Set<() => void>();
  createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((event) => {
    received.push(event);
    for (const listener of listeners) listener();
  });
  /** Resolves once a forwarded event satisfies `predicate`. */
  const receivedWhere = (predicate: (event: StatelyInspectionEvent) => boolean) =>
    new Promise<StatelyInspectionEvent>((resolve) => {
      const check = () => {
        const found = received.find(predicate);
        if (!found) return;
        listeners.delete(check);
        resolve(found);
      };
      listeners.add(check);
      check();
    });
  return { url: `ws://127.0.0.1:${port}`, relay, receivedWhere };
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
    const participants = new Set<string>();
    const lease = await relay.receivedWhere((event) => event.type === '@xstate.actor' && event.name === 'lease');
    expect(lease.type === '@xstate.actor' && lease.definition).toContain('"initial":"idle"');
    await relay.receivedWhere((event) => leadingSnapshot(event) && identityOf(event).startsWith('pod-'));
    await relay.receivedWhere((event) => {
      if (event.type === '@xstate.actor' && event.name === 'lease') participants.add(event.sessionId);
      return participants.size === 3;
    });
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
    await relay.receivedWhere((event) => leadingSnapshot(event) && identityOf(event) === 'sidecar');
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
