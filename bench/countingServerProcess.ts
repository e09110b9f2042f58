/**
 * The embedded Lease API server in a process of its own, for benchmarks that must tell the
 * client's CPU from the server's. Started by countingServer.ts over IPC: it reports its URL, then
 * answers every `stats` message with what it has seen since it started — the TCP connections it
 * accepted, the requests it served by client (each client's bearer token) and verb, and its own CPU.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { startLeaseApiServer } from '../src/server/index.js';

export interface ServerStats {
  connections: number;
  /** "<token> <verb>" -> requests. */
  requests: Record<string, number>;
  /** User + system CPU of the server process, in ms. */
  cpuMs: number;
}

const requests = new Map<string, number>();
const server = await startLeaseApiServer({
  onRequest: (verb, _code, request) => {
    const key = `${request.headers.authorization?.replace('Bearer ', '') ?? '-'} ${verb}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
  },
});
let connections = 0;
// Node publishes every socket a net server accepts on this channel: the server's own count, from outside it.
subscribe('net.server.socket', (message) => {
  if ((message as { socket: Socket }).socket.localPort === server.port) connections++;
});

const stats = (): ServerStats => {
  const cpu = process.cpuUsage();
  return { connections, requests: Object.fromEntries(requests), cpuMs: (cpu.user + cpu.system) / 1000 };
};
process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') process.send!({ type: 'stats', stats: stats() });
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
process.send!({ type: 'ready', url: server.url });
