/**
 * A server the corpus runs against, reached over raw HTTP(S) so that a script can send what no
 * client library would (malformed JSON, a wrong content type, bad percent-encoding), with the same
 * User-Agent on both servers (the default field manager is derived from it).
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export const USER_AGENT = 'leasehold-conformance/1.0';

export interface Target {
  /** "kube-apiserver" or "embedded". */
  readonly name: string;
  readonly url: string;
  /** Sends one request and reads the whole answer. */
  send(request: OutgoingRequest): Promise<Answer>;
  /** Opens a stream (a watch): resolves once the status line and headers arrived. */
  open(request: OutgoingRequest): Promise<Stream>;
  /** Makes `namespace` exist (kube-apiserver); the embedded server has every namespace already. */
  prepareNamespace(namespace: string): Promise<void>;
  close(): void;
}

export interface OutgoingRequest {
  method: string;
  /** Path and query, sent as they are (no re-encoding). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  auth?: 'none' | 'wrong';
}

export interface Answer {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Set when the connection failed or was closed before an answer. */
  error?: string;
}

export interface Stream {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  /** The lines received so far, each parsed when it is JSON. */
  readonly lines: unknown[];
  /** True once the server ended the stream. */
  readonly ended: boolean;
  /** Resolves when a line arrives or the stream ends. */
  changed(): Promise<void>;
  close(): void;
}

export interface TargetOptions {
  name: string;
  url: string;
  token?: string;
  /** A CA bundle (PEM) for https. */
  ca?: Buffer;
}

export function httpTarget({ name, url, token, ca }: TargetOptions): Target {
  const secure = url.startsWith('https:');
  const agent = secure ? new HttpsAgent({ keepAlive: true, ca, maxSockets: 16 }) : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const base = new URL(url);
  const issue = (outgoing: OutgoingRequest, onResponse: (response: IncomingMessage) => void, onError: (error: Error) => void) => {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...outgoing.headers };
    if (outgoing.auth === 'wrong') headers.authorization = 'Bearer not-a-token-this-server-knows';
    else if (token && outgoing.auth !== 'none') headers.authorization = `Bearer ${token}`;
    if (outgoing.body) headers['content-length'] = String(outgoing.body.byteLength);
    const send = secure ? httpsRequest : httpRequest;
    const request = send({ host: base.hostname, port: base.port, method: outgoing.method, path: outgoing.path, headers, agent }, onResponse);
    request.on('error', onError);
    request.end(outgoing.body);
    return request;
  };
  const target: Target = {
    name,
    url,
    send: (outgoing) =>
      new Promise((resolve) => {
        issue(
          outgoing,
          (response) => {
            let body = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve({ code: response.statusCode ?? 0, headers: response.headers, body }));
            response.on('error', (error) => resolve({ code: response.statusCode ?? 0, headers: response.headers, body, error: error.message }));
          },
          (error) => resolve({ code: 0, headers: {}, body: '', error: connectionError(error) }),
        );
      }),
    open: (outgoing) =>
      new Promise((resolve, reject) => {
        const request = issue(outgoing, (response) => resolve(streamOf(response, () => request.destroy())), reject);
      }),
    async prepareNamespace(namespace) {
      if (name !== 'kube-apiserver') return;
      const body = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }));
      const answer = await target.send({ method: 'POST', path: '/api/v1/namespaces', headers: { 'content-type': 'application/json' }, body });
      if (answer.code !== 201 && answer.code !== 409) throw new Error(`creating namespace ${namespace} on ${name}: ${answer.code} ${answer.body}`);
    },
    close: () => agent.destroy(),
  };
  return target;
}

/** Both servers' ways of refusing a connection read the same: what matters is that no answer came. */
function connectionError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(error.message) ? 'connection closed without an answer' : error.message;
}

function streamOf(response: IncomingMessage, destroy: () => void): Stream {
  const lines: unknown[] = [];
  let ended = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };
  let partial = '';
  response.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop()!;
    for (const line of complete) if (line.trim()) lines.push(parsed(line));
    wake();
  });
  const finish = () => {
    if (partial.trim()) lines.push(parsed(partial));
    partial = '';
    ended = true;
    wake();
  };
  response.on('end', finish);
  response.on('close', finish);
  response.on('error', finish);
  return {
    code: response.statusCode ?? 0,
    headers: response.headers,
    lines,
    get ended() {
      return ended;
    },
    changed: () => new Promise<void>((resolve) => (ended ? resolve() : waiters.push(resolve))),
    close: destroy,
  };
}

function parsed(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}
