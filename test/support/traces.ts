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
  /** Watch streams: the event lines received within the read window. */
  events?: { type: string; object: Record<string, unknown> }[];
}

/**
 * Sends one recorded request to `base`. A watch stream is read until `watchEvents` events have
 * arrived (or it ends), then closed; 5 s without them fails the read.
 */
export async function replay(base: string, request: RecordedRequest, watchEvents = 0): Promise<Answer> {
  const headers = { ...request.headers };
  for (const name of ['host', 'content-length', 'connection']) delete headers[name];
  const controller = new AbortController();
  const response = await fetch(base + request.url, { method: request.method, headers, body: request.body, signal: controller.signal });
  if (!/[?&]watch=(true|1)(&|$)/i.test(request.url)) {
    if (!(response.headers.get('content-type') ?? '').includes('json')) {
      return { status: response.status, body: { bytes: (await response.arrayBuffer()).byteLength } };
    }
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  const events = await readEvents(response, watchEvents, 5_000);
  controller.abort();
  return { status: response.status, body: undefined, events };
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
