/** The live view's server side: inspection events in, server-sent events out (the page: test/browser). */
import { readFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { createActor, createMachine, fromPromise } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { activeStateIds, describeStateValue } from '../../visualize/activeStates.js';
import { leaseParticipantMachine } from '../../machines/leaseParticipant.js';
import { DIAGRAM_DIR, drawingOf, machineDiagrams } from '../../visualize/diagrams.js';
import { type LiveView, type LiveViewMessage, startLiveView } from '../../visualize/liveView.js';
import { BASE_DEFAULTS } from '../../src/lease/config.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

const door = createMachine({
  id: 'door',
  initial: 'closed',
  states: {
    closed: { on: { OPEN: 'open' } },
    open: { initial: 'swinging', states: { swinging: { after: { 100: 'still' } }, still: {} }, on: { CLOSE: 'closed' } },
  },
});

/** The page's side of /events: every message so far, and a wait for the next that matches. */
function subscribe(url: string) {
  const messages: LiveViewMessage[] = [];
  const waiters = new Set<() => void>();
  let response: IncomingMessage | undefined;
  get(new URL('events', url), (res) => {
    response = res;
    let buffer = '';
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        messages.push(JSON.parse(buffer.slice(0, end).replace(/^data: /, '')) as LiveViewMessage);
        buffer = buffer.slice(end + 2);
      }
      for (const waiter of waiters) waiter();
    });
  });
  const next = <T extends LiveViewMessage['type']>(type: T, where: (message: Extract<LiveViewMessage, { type: T }>) => boolean = () => true) =>
    new Promise<Extract<LiveViewMessage, { type: T }>>((resolve) => {
      const check = () => {
        const found = messages.find((message) => message.type === type && where(message as Extract<LiveViewMessage, { type: T }>));
        if (!found) return;
        waiters.delete(check);
        resolve(found as Extract<LiveViewMessage, { type: T }>);
      };
      waiters.add(check);
      check();
    });
  return { messages, next, close: () => response?.destroy() };
}

describe('live view server', () => {
  let view: LiveView | undefined;
  afterEach(async () => view?.close());

  it('sends a registered actor with its diagrams, then each transition with the active state ids and a log line', async () => {
    const clock = new VirtualClock();
    view = await startLiveView({ clock });
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const actor = createActor(door, { inspect: view.inspect, clock }).start();
    view.register('front door', actor, { describe: (snapshot) => `status ${(snapshot as { status: string }).status}` });
    const page = subscribe(view.url);

    const diagram = await page.next('diagram');
    // The overview draws `open` as one box listing its states; its detail draws them.
    expect(diagram.overview).toContain('<title>door.open</title>');
    expect(diagram.overview).toContain('<g id="a_door.open.swinging">');
    expect(diagram.overview).not.toContain('<title>door.open.swinging</title>');
    expect(Object.keys(diagram.details)).toEqual(['door.open']);
    expect(diagram.details['door.open']).toContain('<title>door.open.swinging</title>');
    const registered = await page.next('actor');
    expect(registered).toMatchObject({ id: 'front door', diagram: diagram.key, state: 'closed', active: ['door.closed'], summary: 'status active' });

    actor.send({ type: 'OPEN' });
    expect(await page.next('state', (m) => m.state === 'open.swinging')).toMatchObject({ active: ['door.open', 'door.open.swinging'] });
    clock.advance(100);
    await page.next('state', (m) => m.state === 'open.still');
    expect(await page.next('log', (m) => m.to === 'open.still')).toMatchObject({ id: 'front door', event: 'after 100', from: 'open.swinging', at: '0.100' });
    page.close();
  });

  it('replays the current picture to a page that connects late, and follows a re-registered id', async () => {
    view = await startLiveView();
    const first = createActor(door, { inspect: view.inspect }).start();
    view.register('door', first);
    first.send({ type: 'OPEN' });
    view.showLease('default/demo', { holder: 'pod-1', term: 3, expiresAt: Date.now() + 2_000 });
    const replacement = createActor(door, { inspect: view.inspect }).start();
    view.register('door', replacement);

    const page = subscribe(view.url);
    const lease = await page.next('lease');
    expect(lease).toMatchObject({ name: 'default/demo', holder: 'pod-1', term: 3 });
    expect(lease.expiresInMs).toBeGreaterThan(1_000);
    expect((await page.next('actor')).state).toBe('closed');
    expect((await page.next('log')).to).toBe('open.swinging');

    first.send({ type: 'CLOSE' }); // the replaced actor is no longer shown
    replacement.send({ type: 'OPEN' });
    await page.next('state', (m) => m.state === 'open.swinging');
    expect(page.messages.filter((m) => m.type === 'state' && m.state === 'closed')).toEqual([]);
    page.close();
  });

  it('serves the diagrams as files, so the links from an overview to its details work', async () => {
    view = await startLiveView();
    view.register('door', createActor(door, { inspect: view.inspect }).start());
    const overview = await fetch(new URL('door.svg', view.url));
    expect(overview.headers.get('content-type')).toBe('image/svg+xml');
    expect(await overview.text()).toContain('<a xlink:href="door.open.svg"');
    expect(await (await fetch(new URL('door.open.svg', view.url))).text()).toContain('<title>door.open.still</title>');
    expect((await fetch(new URL('nothing.svg', view.url))).status).toBe(404);
  });

  it('draws a participant, implementations provided, as the committed overview in its declared order', async () => {
    view = await startLiveView();
    const participant = createActor(leaseParticipantMachine.provide({}), {
      inspect: view.inspect,
      input: { identity: 'pod-1', config: BASE_DEFAULTS },
    });
    view.register('pod-1', participant);
    const page = subscribe(view.url);
    const diagram = await page.next('diagram');
    expect(diagram.overview).toBe(readFileSync(join(DIAGRAM_DIR, 'leaseParticipant.svg'), 'utf8'));
    expect(Object.keys(diagram.details)).toEqual(['lease.acquiring', 'lease.renewing', 'lease.handingOver', 'lease.releasing']);
    // A hand-over in progress is named and highlighted down to its sub-state.
    expect(activeStateIds(leaseParticipantMachine, { handingOver: 'awaitingTarget' })).toEqual(['lease.handingOver', 'lease.handingOver.awaitingTarget']);
    expect(diagram.details['lease.handingOver']).toContain('awaitingTarget');
    page.close();
  });

  it('refuses an actor that does not run a state machine', async () => {
    view = await startLiveView();
    const promise = createActor(fromPromise(async () => 1));
    expect(() => view!.register('job', promise)).toThrow('job does not run a state machine');
  });
});

describe('active state ids', () => {
  it('walks nested and parallel values to the ids the diagram uses', () => {
    expect(activeStateIds(door, { open: 'still' })).toEqual(['door.open', 'door.open.still']);
    const both = createMachine({ id: 'p', type: 'parallel', states: { a: { initial: 'x', states: { x: {} } }, b: { id: 'custom', initial: 'y', states: { y: {} } } } });
    const ids = activeStateIds(both, { a: 'x', b: 'y' });
    expect(ids).toEqual(['p.a', 'p.a.x', 'custom', 'p.b.y']);
    // A parallel root's overview draws each region as a cluster of its states' boxes.
    const [overview] = machineDiagrams(drawingOf(both));
    expect(overview!.dot).toContain('subgraph "cluster_custom" {');
    for (const id of ['p.a.x', 'p.b.y']) expect(overview!.dot).toContain(`"${id}" [class="state"`);
    expect(describeStateValue({ a: 'x', b: 'y' })).toBe('a.x | b.y');
  });
});
