/** `leasehold serve`: the embedded Lease API server, with a kubeconfig for kubectl and client-node. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger } from '../log/logger.js';
import { startLeaseApiServer } from '../server/index.js';
import { cannotListen, type CommandLine, type CommandSpec, portFlag, stringFlag } from './flags.js';

export const spec: CommandSpec = {
  name: 'serve',
  flags: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' }, 'kubeconfig-out': { type: 'string' }, 'data-dir': { type: 'string' } },
  usage: `usage: leasehold serve [--port N] [--host 127.0.0.1] [--token T] [--kubeconfig-out FILE] [--data-dir DIR]

Serves coordination.k8s.io/v1 Leases on 127.0.0.1 (a non-loopback --host needs --token) and writes
a kubeconfig (default ./leasehold.kubeconfig) that kubectl and @kubernetes/client-node accept.
Without --data-dir everything is kept in memory and lost when the server stops; with it, every
acknowledged write is fsynced to DIR first and recovered on the next start.
`,
};

export async function main(line: CommandLine, print: (line: string) => void = console.log): Promise<number> {
  const token = stringFlag(line, 'token');
  const dataDir = stringFlag(line, 'data-dir');
  const host = stringFlag(line, 'host') ?? '127.0.0.1';
  const port = portFlag(line, 'port') ?? 0;
  const server = await startLeaseApiServer({ host, port, ...(token ? { token } : {}), ...(dataDir ? { dataDir } : {}), logger: createLogger() }).catch((error: NodeJS.ErrnoException) => {
    if (error.syscall !== 'listen') throw error;
    throw error.code === 'EADDRINUSE' ? cannotListen(error, String(port), '--port') : cannotListen(error, host, '--host');
  });
  const kubeconfig = resolve(stringFlag(line, 'kubeconfig-out') ?? 'leasehold.kubeconfig');
  writeFileSync(kubeconfig, server.kubeConfig(), { mode: 0o600 });
  print(`leasehold: serving coordination.k8s.io/v1 Leases at ${server.url}`);
  print(
    server.dataDir
      ? `durable: every acknowledged write is fsynced to ${server.dataDir} and kept across restarts`
      : 'in memory: leases and events are lost when the server stops (--data-dir DIR keeps them)',
  );
  print(`kubeconfig written to ${kubeconfig}; try:`);
  print(`  KUBECONFIG=${kubeconfig} kubectl get leases`);
  print(`  KUBECONFIG=${kubeconfig} kubectl get leases -w`);
  print('Ctrl-C stops the server.');
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
