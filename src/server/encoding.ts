/** How the server answers: JSON bodies with their length, and failures as kube-apiserver's Status. */
import type { ServerResponse } from 'node:http';
import type { Status } from './status.js';

/** A request refused with a Status body; thrown by any step, answered by the handler. */
export class HttpError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}

/** A JSON answer, with a Warning header per warning (`299 - "text"`, as kube-apiserver writes them). */
export function send(response: ServerResponse, code: number, body: unknown, headers: { warnings?: string[]; contentType?: string } = {}): void {
  const text = JSON.stringify(body);
  const warnings = (headers.warnings ?? []).map((warning) => `299 - ${JSON.stringify(warning)}`);
  response.setHeader('content-type', headers.contentType ?? 'application/json');
  response.setHeader('content-length', Buffer.byteLength(text));
  if (warnings.length > 0) response.setHeader('warning', warnings);
  response.writeHead(code);
  response.end(text);
}

/** A plain-text answer, as Go's HTTP server and mux give before any Kubernetes handler runs. */
export function sendText(response: ServerResponse, code: number, text: string, close = false): void {
  response.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(text), ...(close ? { connection: 'close' } : {}) });
  response.end(text);
}

/** kube-apiserver reads a boolean query parameter as true unless it is "0" or "false". */
export function flag(params: URLSearchParams, name: string): boolean {
  if (!params.has(name)) return false;
  const value = params.get(name)!.toLowerCase();
  return value !== '0' && value !== 'false';
}
