/**
 * The embedded kube-compatible Lease API server: coordination.k8s.io/v1 Leases and their Events
 * over HTTP the way kube-apiserver serves them, so kubectl, @kubernetes/client-node and the Python
 * client work against it unchanged. It binds 127.0.0.1 by default and refuses any other address
 * without a token. In memory by default; with `dataDir`, every acknowledged write is on disk first.
 */
import '../supportedNode.js'; // first: a clear error on a Node.js too old for the rest
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError } from '../lease/errors.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import { createHandler } from './handler.js';
import { kubeConfigFor } from './kubeconfig.js';
import { type Journal, openJournal } from './journal.js';
import { ObjectStore } from './objectStore.js';

export interface LeaseApiServerOptions {
  /** Default 127.0.0.1. A non-loopback address needs a token. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /**
   * Keep every acknowledged write in this directory (fsynced before the answer) and recover it on
   * start; default none: in memory only.
   */
  dataDir?: string;
  /** With dataDir: the log is compacted into a snapshot once it holds this many records more than twice the objects; default 10,000. */
  compactionSlack?: number;
  /**
   * Serve Leases as kube-apiserver does with the CoordinatedLeaderElection feature gate on: keep and
   * validate spec.strategy and spec.preferredHolder. Default true; false drops both fields, as a
   * kube-apiserver with the gate off (as shipped) does.
   */
  coordinatedLeaderElection?: boolean;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** How many changes watches can resume from; older resourceVersions get 410 Expired. Default 1000. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 10 s. */
  bookmarkInterval?: number;
  /** Unsent bytes a watcher may fall behind by before the server closes it (its client re-lists); default 1 MiB. */
  maxWatchBacklogBytes?: number;
  clock?: Clock;
  /** Where the server reports failures and (at debug) every request; default silent. */
  logger?: Logger;
  /** Called once per request with its Kubernetes verb, status code and the request itself. */
  onRequest?: (verb: string, code: number, request: IncomingMessage) => void;
}

export interface LeaseApiServer {
  url: string;
  port: number;
  /** 'memory': everything is lost when the server stops; 'durable': kept in `dataDir`. */
  mode: 'memory' | 'durable';
  dataDir?: string;
  /** A kubeconfig (YAML text) pointing at this server. */
  kubeConfig(): string;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function startLeaseApiServer(options: LeaseApiServerOptions = {}): Promise<LeaseApiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host) && !options.token) {
    throw new ConfigError(`refusing to serve leases on ${host} without a token: pass a token, or bind 127.0.0.1`, 'host');
  }
  const clock = options.clock ?? realClock;
  const logger = options.logger ?? silentLogger;
  const historyLimit = options.historyLimit ?? 1000;
  let objects: ObjectStore;
  let journal: Journal | undefined;
  if (options.dataDir) {
    const opened = await openJournal(resolve(options.dataDir), { count: () => objects.count(), state: () => objects.state() }, options.compactionSlack ?? 10_000);
    journal = opened.journal;
    objects = new ObjectStore(historyLimit, () => clock.now(), opened.recovered);
    objects.attach(journal);
    logger.info('recovered the data directory', { dataDir: resolve(options.dataDir), objects: opened.recovered.objects.length, resourceVersion: opened.recovered.revision });
  } else {
    objects = new ObjectStore(historyLimit, () => clock.now());
  }
  const handler = createHandler({
    objects,
    features: { coordinatedLeaderElection: options.coordinatedLeaderElection ?? true },
    clock,
    token: options.token,
    watch: { clock, bookmarkInterval: options.bookmarkInterval ?? 10_000, maxBacklogBytes: options.maxWatchBacklogBytes ?? 1024 * 1024, logger },
    logger,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const server = createServer((request, response) => void handler(request, response));
  server.keepAliveTimeout = 60_000;
  try {
    await new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen(options.port ?? 0, host, () => listening());
    });
  } catch (error) {
    await journal?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    mode: journal ? 'durable' : 'memory',
    ...(options.dataDir ? { dataDir: resolve(options.dataDir) } : {}),
    kubeConfig: () => kubeConfigFor(url, options.token),
    close: async () => {
      await new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      });
      await journal?.close();
    },
  };
}
