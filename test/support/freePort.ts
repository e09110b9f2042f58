/**
 * A TCP port free on 127.0.0.1 right now, for servers that cannot report the port they bound, and
 * `onFreePort`, which starts such a server again on another port when the one found was taken
 * before the server bound it (another test, another process: the port is free only "right now").
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The error (or its output) says the port was in use. */
const portTaken = (error: unknown) => /EADDRINUSE|address already in use/i.test(error instanceof Error ? error.message : String(error));

/**
 * Calls `start(port)` with a free port; when it fails because that port was taken meanwhile (its
 * error says EADDRINUSE), again with another, up to `attempts` times. Any other failure is thrown.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 5, pick: () => Promise<number> = freePort): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await pick();
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= attempts || !portTaken(error)) throw error;
    }
  }
}
