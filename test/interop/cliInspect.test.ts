/** `--inspect`: the CLI's actors reach the Stately inspector through its relay, as a user wires it. */
import { join } from 'node:path';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { demoCommand } from '../../src/cli/demoCommand.js';
import { ConfigError } from '../../src/lease/errors.js';
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

describe('--inspect ws://HOST:PORT', () => {
  const children: Array<ReturnType<typeof runCli>> = [];
  afterEach(async () => {
    for (const { child, exited } of children.splice(0)) {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('demo: every participant registers with the inspector and its transitions arrive', async () => {
    const { url, relay, receivedWhere } = await relayAndReceiver();
    const demo = runCli(['demo', '--inspect', url]);
    children.push(demo, relay);
    await demo.printed(`inspection events go to ${url}`);
    const actor = await receivedWhere((event) => event.type === '@xstate.actor' && event.name === 'lease');
    expect(actor.type === '@xstate.actor' && actor.definition).toContain('"initial":"idle"');
    await receivedWhere(leadingSnapshot);
    await demo.printed('first election');
    const participants = new Set<string>();
    await receivedWhere((event) => {
      if (event.type === '@xstate.actor' && event.name === 'lease') participants.add(event.sessionId);
      return participants.size === 3;
    });
  });

  it('run: the sidecar\'s elector is inspected too', async () => {
    const { url, relay, receivedWhere } = await relayAndReceiver();
    const run = runCli(['run', '--lease', 'job', '--identity', 'A', '--inspect', url, '--', 'node', '-e', 'setInterval(() => {}, 1000)']);
    children.push(run, relay);
    await run.printed('A holds lease default/job');
    const leading = await receivedWhere(leadingSnapshot);
    expect((leading as { snapshot: { context: { identity: string } } }).snapshot.context.identity).toBe('A');
  });

  it('refuses a URL that is not ws:// or wss://, and --ui-port without --ui', async () => {
    const cases = [
      { args: ['--inspect', 'http://127.0.0.1:8080'], says: 'demo: --inspect must be a WebSocket URL like ws://127.0.0.1:8080, not "http://127.0.0.1:8080"' },
      { args: ['--inspect', 'localhost:8080'], says: '--inspect must be a WebSocket URL' },
      { args: ['--ui-port', '8088'], says: 'demo: --ui-port needs --ui' },
      { args: ['--ui', '--ui-port', 'web'], says: '--port must be 0-65535' },
    ];
    for (const { args, says } of cases) {
      await expect(demoCommand(args), args.join(' ')).rejects.toThrow(ConfigError);
      await expect(demoCommand(args), args.join(' ')).rejects.toThrow(says);
    }
    const cli = runCli(['run', '--lease', 'job', '--inspect', 'nonsense', '--', 'true']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain('run: --inspect must be a WebSocket URL');
  });
});
