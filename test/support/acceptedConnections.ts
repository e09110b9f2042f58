/**
 * Counts the TCP connections a server in this process accepts, seen from the server's side: Node
 * publishes every socket a net server accepts on the `net.server.socket` diagnostics channel, so
 * the embedded server is observed without a hook of its own.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

export function acceptedConnections(port: number): { readonly count: number; stop(): void } {
  let count = 0;
  const onSocket = (message: unknown) => {
    if ((message as { socket: Socket }).socket.localPort === port) count++;
  };
  subscribe('net.server.socket', onSocket);
  return {
    get count() {
      return count;
    },
    stop: () => unsubscribe('net.server.socket', onSocket),
  };
}
