/**
 * A TCP proxy in front of the API server for one participant, which the chaos test can turn into a
 * black hole: while it is on, nothing moves in either direction on any connection, old or new
 * (bytes wait unread as unacknowledged packets would, and a client that gives up is not noticed),
 * so requests hang until their client's timeout and watches go silent without ending. Turned off,
 * everything queued flows again, as TCP delivers it once a partition heals: a request the client
 * abandoned may still land late. TCP-level, so it carries TLS to kube-apiserver unchanged.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface BlackholeProxy {
  /** host:port to put in the participant's kubeconfig in place of the server's. */
  address: string;
  readonly blackholed: boolean;
  blackhole(on: boolean): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(target: { host: string; port: number }): Promise<BlackholeProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let blackholed = false;

  /** Forwards one direction by hand (pipe() would resume a paused socket on 'drain'). */
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => to.write(chunk));
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => to.destroy());
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    const upstream = connect(target.port, target.host);
    upstream.pause();
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    forward(client, upstream);
    forward(upstream, client);
    if (!blackholed) {
      client.resume();
      upstream.resume();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get blackholed() {
      return blackholed;
    },
    blackhole(on) {
      blackholed = on;
      for (const pair of pairs) for (const socket of pair) on ? socket.pause() : socket.resume();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) for (const socket of pair) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
