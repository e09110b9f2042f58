/**
 * The offline live view: a page on 127.0.0.1 showing every registered actor's overview diagram with
 * its current state highlighted and its sub-state named, the detail diagram of a compound state on
 * a click, the leases it is told about, and a scrolling log of transitions — updated live over
 * server-sent events from the actors' own XState inspection events. No internet: the page, its
 * script and the diagrams (rendered here, see diagrams.ts) are served by the view itself.
 *
 * Generic: `register(id, actor)` any actor running a state machine; actors are matched to inspection
 * events by session, so pass `liveView.inspect` to createActor (or a facade's `inspect` option)
 * before registering. Registering an id again (a restarted participant) replaces its actor.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyActor, AnyStateMachine, InspectionEvent, Snapshot, StateValue } from 'xstate';
import type { Clock } from '../src/time/clock.js';
import { realClock } from '../src/time/realClock.js';
import { activeStateIds, describeStateValue } from './activeStates.js';
import { drawingOf, machineDiagrams } from './diagrams.js';
import { describeEventType } from './eventNames.js';
import { liveViewPage } from './page.js';
import { svgRenderer } from './renderSvg.js';

export interface LiveViewOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (the URL says which). */
  port?: number;
  /** Time for the log's timestamps and lease expiry; default realClock. */
  clock?: Clock;
  title?: string;
}

export interface RegisterOptions {
  /** One line shown under the actor's state, from its snapshot (e.g. the leader it sees). */
  describe?: (snapshot: unknown) => string;
}

export interface LeaseView {
  holder: string;
  /** leaseTransitions. */
  term: number;
  /** When the lease expires on the view's clock, as its viewer judges it; null if free. */
  expiresAt: number | null;
}

export interface LiveView {
  readonly url: string;
  /** The XState inspection observer that feeds the view. */
  readonly inspect: (event: InspectionEvent) => void;
  register(id: string, actor: AnyActor, options?: RegisterOptions): void;
  showLease(name: string, lease: LeaseView): void;
  close(): Promise<void>;
}

/** What the page receives; `emittedAt` (epoch ms, sub-ms) is when the inspection event arrived. */
export type LiveViewMessage =
  /** A machine's overview and, by state id, the detail diagram of each compound state. */
  | { type: 'diagram'; key: string; overview: string; details: Record<string, string> }
  | { type: 'actor'; id: string; diagram: string; root: string; state: string; active: string[]; status: string; summary: string; seq: number; emittedAt: number }
  | { type: 'state'; id: string; state: string; active: string[]; status: string; summary: string; seq: number; emittedAt: number }
  | { type: 'lease'; name: string; holder: string; term: number; expiresInMs: number | null }
  | { type: 'log'; at: string; id: string; event: string; from: string; to: string };

interface Card {
  id: string;
  sessionId: string;
  machine: AnyStateMachine;
  diagram: string;
  describe: ((snapshot: unknown) => string) | undefined;
  state: string;
  active: string[];
  status: string;
  summary: string;
}

const LOG_KEPT = 200;

const wallTime = () => performance.timeOrigin + performance.now();

function isStateMachine(logic: unknown): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'getInitialSnapshot' in logic;
}

export async function startLiveView({ host = '127.0.0.1', port = 0, clock = realClock, title = 'leasehold live view' }: LiveViewOptions = {}): Promise<LiveView> {
  const render = await svgRenderer();
  const started = clock.now();
  const diagrams = new Map<unknown, Extract<LiveViewMessage, { type: 'diagram' }>>();
  /** Every diagram by file name, so the SVGs' links to each other work here too. */
  const files = new Map<string, string>();
  const cards = new Map<string, Card>();
  const bySession = new Map<string, Card>();
  const leases = new Map<string, LeaseView>();
  const log: Array<Extract<LiveViewMessage, { type: 'log' }>> = [];
  const clients = new Set<ServerResponse>();
  let seq = 0;

  const send = (response: ServerResponse, message: LiveViewMessage) => response.write(`data: ${JSON.stringify(message)}\n\n`);
  const broadcast = (message: LiveViewMessage) => {
    for (const client of clients) send(client, message);
  };
  const leaseMessage = (name: string, lease: LeaseView): LiveViewMessage => ({
    type: 'lease',
    name,
    holder: lease.holder,
    term: lease.term,
    expiresInMs: lease.expiresAt === null ? null : lease.expiresAt - clock.now(),
  });
  const actorMessage = (card: Card, emittedAt: number): LiveViewMessage => ({
    type: 'actor',
    id: card.id,
    diagram: card.diagram,
    root: card.machine.root.id,
    state: card.state,
    active: card.active,
    status: card.status,
    summary: card.summary,
    seq: ++seq,
    emittedAt,
  });

  // One set of diagrams per machine definition: a machine with implementations provided shares it.
  const diagramFor = (machine: AnyStateMachine) => {
    let diagram = diagrams.get(machine.config);
    if (!diagram) {
      const drawing = drawingOf(machine);
      const taken = files.has(`${drawing.name}.svg`);
      const drawn = machineDiagrams(taken ? { ...drawing, name: `${drawing.name}-${diagrams.size}` } : drawing).map((each) => ({ ...each, svg: render(each.dot) }));
      for (const each of drawn) files.set(`${each.file}.svg`, each.svg);
      const [overview, ...details] = drawn;
      diagram = { type: 'diagram', key: `d${diagrams.size}`, overview: overview!.svg, details: Object.fromEntries(details.map((each) => [each.state.id, each.svg])) };
      diagrams.set(machine.config, diagram);
      broadcast(diagram);
    }
    return diagram.key;
  };

  /** Applies a snapshot to a card; true if anything shown changed. */
  const apply = (card: Card, snapshot: Snapshot<unknown> & { value?: StateValue }) => {
    const value = snapshot.value ?? '';
    const state = describeStateValue(value);
    const summary = card.describe?.(snapshot) ?? '';
    const changed = state !== card.state || snapshot.status !== card.status || summary !== card.summary;
    card.state = state;
    card.active = activeStateIds(card.machine, value);
    card.status = snapshot.status;
    card.summary = summary;
    return changed;
  };

  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot') return;
    const card = bySession.get(event.actorRef.sessionId);
    if (!card) return;
    const emittedAt = wallTime();
    const from = card.state;
    if (!apply(card, event.snapshot as Snapshot<unknown> & { value?: StateValue })) return;
    broadcast({ type: 'state', id: card.id, state: card.state, active: card.active, status: card.status, summary: card.summary, seq: ++seq, emittedAt });
    if (from === card.state) return;
    const entry = { type: 'log', at: ((clock.now() - started) / 1000).toFixed(3), id: card.id, event: describeEventType(event.event.type), from, to: card.state } as const;
    log.push(entry);
    if (log.length > LOG_KEPT) log.shift();
    broadcast(entry);
  };

  const page = liveViewPage(title);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    } else if (path === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      for (const diagram of diagrams.values()) send(response, diagram);
      for (const card of cards.values()) send(response, actorMessage(card, wallTime()));
      for (const [name, lease] of leases) send(response, leaseMessage(name, lease));
      for (const entry of log) send(response, entry);
      clients.add(response);
      request.on('close', () => clients.delete(response));
    } else if (files.has(path.slice(1))) {
      response.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' }).end(files.get(path.slice(1)));
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${host}:${address.port}/`,
    inspect,
    register(id, actor, { describe } = {}) {
      if (!isStateMachine(actor.logic)) throw new TypeError(`live view: ${id} does not run a state machine`);
      const previous = cards.get(id);
      if (previous) bySession.delete(previous.sessionId);
      const card: Card = { id, sessionId: actor.sessionId, machine: actor.logic, diagram: diagramFor(actor.logic), describe, state: '', active: [], status: '', summary: '' };
      apply(card, actor.getSnapshot() as Snapshot<unknown> & { value?: StateValue });
      cards.set(id, card);
      bySession.set(actor.sessionId, card);
      broadcast(actorMessage(card, wallTime()));
    },
    showLease(name, lease) {
      leases.set(name, lease);
      broadcast(leaseMessage(name, lease));
    },
    async close() {
      for (const client of clients) client.end();
      clients.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
