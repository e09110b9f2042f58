/** onFreePort: a port taken between finding it and binding it is given up for another. */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, onFreePort } from '../support/freePort.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** Binds 127.0.0.1:port, as a server started on it would; rejects with the listen error. */
const bind = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      servers.push(server);
      resolve(port);
    });
  });

describe('onFreePort', () => {
  it('starts again on another port when the one found was taken before it bound', async () => {
    const taken = await bind(await freePort()); // someone else got there first
    const offered: number[] = [];
    const pick = async () => {
      const port = offered.length === 0 ? taken : await freePort();
      offered.push(port);
      return port;
    };
    const bound = await onFreePort(bind, 5, pick);
    expect(offered).toHaveLength(2);
    expect(bound).toBe(offered[1]);
    expect(bound).not.toBe(taken);
  });

  it('gives up after its attempts, and throws anything but a taken port at once', async () => {
    const taken = await bind(await freePort());
    await expect(onFreePort(bind, 2, async () => taken)).rejects.toThrow(/EADDRINUSE/);
    let calls = 0;
    await expect(
      onFreePort(async () => {
        calls++;
        throw new Error('refused: bad flag');
      }),
    ).rejects.toThrow('bad flag');
    expect(calls).toBe(1);
  });
});
