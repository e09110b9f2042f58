/**
 * One client, and one connection pool, per KubeConfig: every KubernetesLeaseLock and
 * KubernetesManagedLeaseStore made from the same KubeConfig object sends its requests and its
 * watches through one keep-alive undici Agent, as client-go keeps one transport per config. So a
 * renew is a request on an open connection instead of a TCP (and TLS) handshake; a new connection
 * (after a drop) resumes the TLS session of the last one.
 *
 * HTTP/1.1 only, although kube-apiserver offers HTTP/2 (ALPN): over undici's HTTP/2 client
 * (8.13.1, Node 24.21), a process whose lockers started and stopped while it talked to a real
 * kube-apiserver spun in nghttp2_session_pack_data, its event loop blocked, its memory growing by
 * gigabytes a second until the kernel killed it (bench/controlPlane.bench.ts, 3 runs in 6). On
 * HTTP/1.1 calls share one keep-alive connection and each watch has one of its own.
 *
 * Why this is needed: client-node 2.x builds a new undici Agent for every request against a cluster
 * with any TLS setting (a CA, a client certificate, insecure-skip-tls-verify: every real
 * kubeconfig), so each request opened its own connection. Credentials are still applied by
 * client-node on every request (tokens rotate); the TLS material (CA, client certificate, key) is
 * read once, when the first request is sent. A kubeconfig reaching the cluster through a SOCKS
 * proxy keeps client-node's own per-request connections.
 */
import { type ApiConstructor, type ApiType, CoordinationV1Api, KubeConfig, type RequestContext, Watch } from '@kubernetes/client-node';
import type https from 'node:https';
import { Agent, buildConnector, type Dispatcher, ProxyAgent } from 'undici';

export interface KubernetesClient {
  /** Reads, writes and lists: one keep-alive connection, requests one at a time. */
  api: CoordinationV1Api;
  /** Watches: a pool of their own, a connection per open watch. */
  watch: Watch;
  /** Another client-node API (Events, say) whose calls share the connection of `api`. */
  makeApiClient<T extends ApiType>(type: ApiConstructor<T>): T;
  /** Closes the pooled connections once their requests are done; later requests open new ones. */
  close(): Promise<void>;
}

/**
 * Connections idle longer than this are closed (client-go: 90 s). A server's Keep-Alive hint, when
 * it sends one, takes precedence; renews every few seconds keep the connection in use anyway.
 */
const IDLE_CONNECTION_MS = 60_000;

const clients = new WeakMap<KubeConfig, KubernetesClient>();

/** The shared client of `kubeConfig`, created on first use. */
export function kubernetesClient(kubeConfig: KubeConfig): KubernetesClient {
  let client = clients.get(kubeConfig);
  if (!client) {
    client = createClient(kubeConfig);
    clients.set(kubeConfig, client);
  }
  return client;
}

function createClient(kubeConfig: KubeConfig): KubernetesClient {
  const sessions: TlsSessions = new Map();
  // One connection for calls: undici reuses a connection only a full event-loop turn after its
  // response, so a pool that may grow opens a new one for a call sent right after another (a
  // create after a 404, a re-read after a 409); limited to one, the call waits that turn instead.
  const requests = pooledView(kubeConfig, { connections: 1, sessions });
  const watches = pooledView(kubeConfig, { connections: null, sessions });
  return {
    api: requests.kubeConfig.makeApiClient(CoordinationV1Api),
    watch: new Watch(watches.kubeConfig),
    makeApiClient: (type) => requests.kubeConfig.makeApiClient(type),
    close: async () => {
      await Promise.all([requests.close(), watches.close()]);
    },
  };
}

/** The last TLS session of each server, kept for the next connection to resume (undici keeps them only weakly). */
type TlsSessions = Map<string, Buffer>;

interface PoolOptions {
  connections: number | null;
  sessions: TlsSessions;
}

/** A view of the user's KubeConfig (everything read through to it) whose requests go through one pool. */
function pooledView(kubeConfig: KubeConfig, options: PoolOptions) {
  let pool: Promise<Dispatcher | undefined> | undefined;
  const view: KubeConfig = Object.create(kubeConfig, {
    applySecurityAuthentication: {
      value: async (context: RequestContext) => {
        await kubeConfig.applySecurityAuthentication(context);
        const shared = await (pool ??= createPool(kubeConfig, options));
        if (shared) context.setDispatcher(shared);
      },
    },
  });
  return {
    kubeConfig: view,
    close: async () => {
      const closing = pool;
      pool = undefined;
      await (await closing)?.close();
    },
  };
}

/** The Agent client-node would build per request, built once, with keep-alive connections. */
async function createPool(kubeConfig: KubeConfig, { connections, sessions }: PoolOptions): Promise<Dispatcher | undefined> {
  const tls: https.AgentOptions = {};
  await kubeConfig.applyToHTTPSOptions(tls);
  const options = kubeConfig.createDispatcherOptions(kubeConfig.getCurrentCluster(), tls);
  const pool = { keepAliveTimeout: IDLE_CONNECTION_MS, connections };
  switch (options.type) {
    case 'none':
      return new Agent({ ...pool, connect: resuming({}, sessions) });
    case 'agent':
      return new Agent({ ...pool, connect: resuming(options.connect, sessions) });
    case 'proxy':
      return new ProxyAgent({ ...pool, uri: options.uri, requestTls: options.requestTls, connect: options.connect });
    case 'socks':
      return undefined;
  }
}

/** undici's own connector, offering each server the TLS session its last connection was given. */
function resuming(connect: buildConnector.BuildOptions, sessions: TlsSessions): buildConnector.connector {
  return (target, callback) => {
    const server = target.servername || target.hostname;
    buildConnector({ ...connect, allowH2: false, session: sessions.get(server) })(target, (error, socket) => {
      if (error) return callback(error, null);
      socket.on('session', (session: Buffer) => sessions.set(server, session));
      callback(null, socket);
    });
  };
}
