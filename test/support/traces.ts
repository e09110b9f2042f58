/** The recorded client requests in test/fixtures/client-traces, and a way to replay them. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export const TRACE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/client-traces');

export function readTrace(file: string): RecordedRequest[] {
  return readFileSync(join(TRACE_DIR, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordedRequest);
}

export interface Answer {
  status: number;
  body: unknown;
  /** Watch streams: every event line, to the stream's end. */
  events?: { type: string; object: Record<string, unknown> }[];
}

/**
 * What a replay learns as it goes: the uid the server gave each object, which replaces the uid of
 * the recording's server wherever a request body names it (kube-apiserver refuses an update whose
 * uid is not the object's).
 */
export interface ReplaySession {
  uids: Map<string, string>;
}

export const replaySession = (): ReplaySession => ({ uids: new Map() });

function withLiveUid(body: string | undefined, session: ReplaySession | undefined): string | undefined {
  if (!body || !session) return body;
  try {
    const object = JSON.parse(body) as { metadata?: { name?: string; uid?: string } };
    const live = object.metadata?.name === undefined ? undefined : session.uids.get(object.metadata.name);
    if (!object.metadata?.uid || live === undefined) return body;
    return JSON.stringify({ ...object, metadata: { ...object.metadata, uid: live } });
  } catch {
    return body;
  }
}

function learnUid(body: unknown, session: ReplaySession | undefined): void {
  const metadata = (body as { metadata?: { name?: unknown; uid?: unknown } } | undefined)?.metadata;
  if (session && typeof metadata?.name === 'string' && typeof metadata.uid === 'string') session.uids.set(metadata.name, metadata.uid);
}

/**
 * Sends one recorded request to `base`. A watch stream is read to its end: when the client gave no
 * timeoutSeconds the replay asks for one second, and `endWatch(seconds)` (which moves the server's
 * clock that far) is called once the stream is open, so every event the server sent is read, not
 * only the first few; 5 s without the end fails the read.
 */
export async function replay(
  base: string,
  request: RecordedRequest,
  { session, endWatch = async () => {} }: { session?: ReplaySession; endWatch?: (seconds: number) => Promise<void> } = {},
): Promise<Answer> {
  const headers = { ...request.headers };
  for (const name of ['host', 'content-length', 'connection']) delete headers[name];
  const watch = /[?&]watch=(true|1)(&|$)/i.test(request.url);
  const given = /[?&]timeoutSeconds=(\d+)/.exec(request.url);
  const url = watch && !given ? `${request.url}&timeoutSeconds=1` : request.url;
  const body = withLiveUid(request.body, session);
  const response = await fetch(base + url, { method: request.method, headers, body });
  if (!watch) {
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('json')) return { status: response.status, body: { bytes: (await response.arrayBuffer()).byteLength, text: type.startsWith('text/') } };
    const text = await response.text();
    const answer = text ? (JSON.parse(text) as unknown) : undefined;
    learnUid(answer, session);
    return { status: response.status, body: answer };
  }
  const events = readEvents(response, Number.POSITIVE_INFINITY, 5_000);
  await endWatch(given ? Number(given[1]) : 1);
  return { status: response.status, body: undefined, events: await events };
}

type WatchEvent = { type: string; object: Record<string, unknown> };

/** Reads newline-delimited watch events until `count` have arrived or the stream ends. */
export async function readEvents(response: Response, count: number, failAfterMs: number): Promise<WatchEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: WatchEvent[] = [];
  let buffer = '';
  const failure = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${count} watch events arrived`)), failAfterMs);
    timer.unref();
  });
  while (events.length < count) {
    const { done, value } = await Promise.race([reader.read(), failure]);
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines.filter(Boolean)) events.push(JSON.parse(line) as WatchEvent);
  }
  void reader.cancel().catch(() => undefined);
  return events;
}
