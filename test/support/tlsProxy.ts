/**
 * A TLS front for the embedded server, as a cluster's API server is reached: HTTPS with a
 * self-signed certificate for 127.0.0.1 (valid until 2126, made for these tests only), HTTP/1.1
 * or — with `http2` — HTTP/2 offered through ALPN as kube-apiserver offers it. It counts the TLS
 * connections it accepted, with the protocol each negotiated and whether it resumed a TLS session.
 */
import { request as forward } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglFicrorzIS8b6Cfg
F/T6/ZrSmEq7Xg1XcCBe6Ggxid+hRANCAASPoA0dGKX0/4zmInEYlBKmc1yRvnLr
TqIapG7G7VxZ+X/gz74Cxk/3uR9VyXV0+yhVc6JVYxlj8jrNb75Uk0Zf
-----END PRIVATE KEY-----
`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBpDCCAUugAwIBAgIUZe04pmCZQqbYzuETHEXHRCROI74wCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwObGVhc2Vob2xkIHRlc3QwIBcNMjYxMjAxMTA1ODE3WhgPMjEy
NjExMDcxMDU4MTdaMBkxFzAVBgNVBAMMDmxlYXNlaG9sZCB0ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEj6ANHRil9P+M5iJxGJQSpnNckb5y606iGqRuxu1c
Wfl/4M++AsZP97kfVcl1dPsoVXOiVWMZY/I6zW++VJNGX6NvMG0wHQYDVR0OBBYE
FPjj5u9/Tb51eOKUJDq3rMbbRucjMB8GA1UdIwQYMBaAFPjj5u9/Tb51eOKUJDq3
rMbbRucjMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxo
b3N0MAoGCCqGSM49BAMCA0cAMEQCIG7X6zcSnTGqauzCszAKED8MttHry0mpRrWP
XDMzCxpwAiAlouGrVYYh7or0vq5xaOlvNyQcGv90JP44nFGr0GtEPA==
-----END CERTIFICATE-----
`;

export interface TlsConnection {
  protocol: string;
  resumed: boolean;
}

export interface TlsProxy {
  url: string;
  /** Every TLS connection accepted, in order. */
  readonly connections: TlsConnection[];
  /** Destroys every open connection. */
  cut(): void;
  close(): Promise<void>;
}

export async function startTlsProxy(target: string, { http2 = false }: { http2?: boolean } = {}): Promise<TlsProxy> {
  const connections: TlsConnection[] = [];
  const sockets = new Set<TLSSocket>();
  const pass = (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => {
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !name.startsWith(':')));
    const upstream = forward(`${target}${request.url}`, { method: request.method, headers }, (answer) => {
      const answerHeaders = Object.fromEntries(
        Object.entries(answer.headers).filter(([name]) => !['connection', 'keep-alive', 'transfer-encoding'].includes(name)),
      );
      (response as ServerResponse).writeHead(answer.statusCode ?? 502, answerHeaders);
      // Watches: the client must see the 200 before the first event (HTTP/2 sends headers on writeHead).
      if ('flushHeaders' in response) response.flushHeaders();
      answer.pipe(response as NodeJS.WritableStream);
    });
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  };
  const options = { key: KEY, cert: CERT };
  const server = http2 ? createSecureServer({ ...options, allowHTTP1: true }, pass) : createHttpsServer(options, pass);
  server.on('secureConnection', (socket: TLSSocket) => {
    connections.push({ protocol: socket.alpnProtocol || 'http/1.1', resumed: socket.isSessionReused() });
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
