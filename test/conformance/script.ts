/**
 * Runs one case's steps in order against one server and records what each step observed: an
 * answer (status code, the headers compared, the body), a watch opened (status code, headers), or
 * the events a watch delivered. Nothing is judged here; compare.ts holds two records side by side.
 */
import type { Case, GeneratedBody, Step } from './corpus.js';
import type { Stream, Target } from './target.js';

export type Observation =
  | { step: number; kind: 'answer'; code: number; headers: ComparedHeaders; body: unknown; error?: string }
  | { step: number; kind: 'watch'; code: number; headers: ComparedHeaders; body?: unknown }
  | { step: number; kind: 'events'; events: unknown[]; ended: boolean };

/** The headers a difference in which matters to a client. */
export interface ComparedHeaders {
  'content-type'?: string;
  warning?: string[];
}

const DEFAULT_WITHIN_MS = 8_000;

export async function runScript(target: Target, testCase: Case, namespace: string): Promise<Observation[]> {
  const saved = new Map<string, string>();
  const streams = new Map<string, { stream: Stream; consumed: number }>();
  const substitute = (text: string) =>
    text
      .replaceAll('{leases}', '/apis/coordination.k8s.io/v1/namespaces/{ns}/leases')
      .replaceAll('{events}', '/api/v1/namespaces/{ns}/events')
      .replaceAll('{eventsv1}', '/apis/events.k8s.io/v1/namespaces/{ns}/events')
      .replaceAll('{ns}', namespace).replace(/\{\$(\w+)\}/g, (_, name: string) => {
      // A value the server did not give (no continue token) is sent empty: the earlier step's difference shows why.
      return saved.get(name) ?? '';
    });
  const observations: Observation[] = [];
  try {
    for (const [index, step] of testCase.steps.entries()) {
      const number = index + 1;
      if (step.pause) await new Promise((resolve) => setTimeout(resolve, step.pause));
      if (step.events !== undefined) {
        const open = streams.get(step.events);
        if (!open) throw new Error(`case "${testCase.name}" step ${number}: no watch named "${step.events}"`);
        observations.push({ step: number, kind: 'events', ...(await collect(open, step)) });
        continue;
      }
      const line = substitute((step.request ?? step.watch)!);
      const [method, path] = line.split(' ') as [string, string];
      const headers = Object.fromEntries(Object.entries(step.headers ?? {}).map(([key, value]) => [key.toLowerCase(), substitute(value)]));
      const body = bodyOf(step, substitute);
      if (body && !headers['content-type']) headers['content-type'] = 'application/json';
      const auth = step.auth ? { auth: step.auth } : {};
      if (step.watch !== undefined) {
        const stream = await target.open({ method, path, headers, ...auth, ...(body ? { body } : {}) });
        streams.set(step.as ?? 'w', { stream, consumed: 0 });
        const observed: Observation = { step: number, kind: 'watch', code: stream.code, headers: comparedHeaders(stream.headers) };
        // A refused watch is an ordinary answer: its Status is the body.
        if (stream.code !== 200) {
          while (!stream.ended) await stream.changed();
          observed.body = stream.lines.length === 1 ? stream.lines[0] : stream.lines;
        }
        observations.push(observed);
        continue;
      }
      const answer = await target.send({ method, path, headers, ...auth, ...(body ? { body } : {}) });
      const parsedBody = parseBody(answer.body);
      for (const [name, where] of Object.entries(step.save ?? {})) {
        const value = valueAt(parsedBody, where);
        if (value !== undefined) saved.set(name, String(value));
      }
      observations.push({ step: number, kind: 'answer', code: answer.code, headers: comparedHeaders(answer.headers), body: parsedBody, ...(answer.error ? { error: answer.error } : {}) });
    }
  } finally {
    for (const { stream } of streams.values()) stream.close();
  }
  return observations;
}

async function collect(open: { stream: Stream; consumed: number }, step: Step): Promise<{ events: unknown[]; ended: boolean }> {
  const { stream } = open;
  const wanted = step.count ?? 0;
  const kept = (line: unknown) => step.bookmarks === true || !isBookmark(line) || (step.bookmarks === 'initial' && endsInitialEvents(line));
  const counted = () => stream.lines.slice(open.consumed).filter(kept).length;
  const deadline = Date.now() + (step.within ?? DEFAULT_WITHIN_MS);
  const waitUntil = async (done: () => boolean, until: number) => {
    while (!done() && !stream.ended && Date.now() < until) {
      await Promise.race([stream.changed(), new Promise((resolve) => setTimeout(resolve, Math.max(1, until - Date.now())))]);
    }
  };
  await waitUntil(() => counted() >= wanted, deadline);
  if (step.end) await waitUntil(() => stream.ended, deadline);
  else await new Promise((resolve) => setTimeout(resolve, step.settle ?? (wanted === 0 ? 1_500 : 500)));
  const delivered = stream.lines.slice(open.consumed);
  open.consumed = stream.lines.length;
  return { events: delivered.filter(kept), ended: stream.ended };
}

const isBookmark = (line: unknown) => (line as { type?: unknown } | null)?.type === 'BOOKMARK';
const endsInitialEvents = (line: unknown) =>
  (line as { object?: { metadata?: { annotations?: Record<string, string> } } } | null)?.object?.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true';

function bodyOf(step: Step, substitute: (text: string) => string): Buffer | undefined {
  if (step.raw !== undefined) return Buffer.from(substitute(step.raw));
  if (step.generate) return Buffer.from(generated(step.generate, substitute('{ns}')));
  if (step.body === undefined) return undefined;
  if (typeof step.body === 'string') return Buffer.from(substitute(step.body));
  return Buffer.from(JSON.stringify(substituteDeep(step.body, substitute)));
}

function substituteDeep(value: unknown, substitute: (text: string) => string): unknown {
  if (typeof value === 'string') return substitute(value);
  if (Array.isArray(value)) return value.map((item) => substituteDeep(item, substitute));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteDeep(item, substitute)]));
  return value;
}

function generated(generate: GeneratedBody, namespace: string): string {
  const lease = (extra: Record<string, unknown>) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'generated', namespace }, ...extra });
  switch (generate.kind) {
    case 'padded-lease': {
      const empty = JSON.stringify(lease({ metadata: { name: 'generated', namespace, annotations: { padding: '' } } }));
      return JSON.stringify(lease({ metadata: { name: 'generated', namespace, annotations: { padding: 'x'.repeat(Math.max(0, generate.bytes - empty.length)) } } }));
    }
    case 'nested-lease': {
      let nested = '{}';
      for (let level = 0; level < generate.depth; level++) nested = `{"a":${nested}}`;
      return `{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"generated"},"spec":{"holderIdentity":"a"},"nested":${nested}}`;
    }
  }
}

function comparedHeaders(headers: Record<string, string | string[] | undefined>): ComparedHeaders {
  const compared: ComparedHeaders = {};
  const type = headers['content-type'];
  if (typeof type === 'string') compared['content-type'] = type.toLowerCase().replace(/\s+/g, '');
  const warning = headers.warning;
  if (warning !== undefined) compared.warning = Array.isArray(warning) ? warning : [warning];
  return compared;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function valueAt(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
