/**
 * The servers of a conformance pass: kube-apiserver (a control plane started from the cached or
 * freshly built binaries, or an existing one named by a kubeconfig) and the embedded server in the
 * same mode.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import type { ControlPlaneBinaries } from '../cluster/binaries.js';
import { type ControlPlane, startControlPlane } from '../cluster/controlPlane.js';
import type { PassTargets } from './conformance.js';
import type { Pass } from './corpus.js';
import { httpTarget, type Target } from './target.js';

export interface StartedPass {
  targets: PassTargets;
  stop(): Promise<void>;
}

/** kube-apiserver at the kubeconfig's current context (a bearer token and a CA bundle). */
export function targetFromKubeconfig(path: string): Target {
  const config = yaml.load(readFileSync(path, 'utf8')) as {
    clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
    users: { name: string; user: { token?: string } }[];
    contexts: { name: string; context: { cluster: string; user: string } }[];
    'current-context': string;
  };
  const context = config.contexts.find((entry) => entry.name === config['current-context'])!.context;
  const cluster = config.clusters.find((entry) => entry.name === context.cluster)!.cluster;
  const user = config.users.find((entry) => entry.name === context.user)!.user;
  const ca = cluster['certificate-authority-data'];
  return httpTarget({ name: 'kube-apiserver', url: cluster.server, ...(user.token ? { token: user.token } : {}), ...(ca ? { ca: Buffer.from(ca, 'base64') } : {}) });
}

/** The embedded server with a token, as kube-apiserver is reached with one (anonymous and wrong-token cases need it). */
export async function embeddedTarget(pass: Pass): Promise<{ target: Target; server: LeaseApiServer }> {
  const token = randomBytes(16).toString('hex');
  const server = await startLeaseApiServer({ token, coordinatedLeaderElection: pass === 'coordinated' });
  return { target: httpTarget({ name: 'embedded', url: server.url, token }), server };
}

/**
 * Both servers of a pass; kube-apiserver from `kubeconfig` when given, else a control plane of its
 * own, restarted once: a young kube-apiserver's watch cache began at the first revisions and still
 * serves a watch from resourceVersion 1, where one that has run a while (or restarted) answers 410
 * "too old". The restart makes the young one answer as a seasoned one does.
 */
export async function startPass(pass: Pass, source: { binaries: ControlPlaneBinaries; log?: (line: string) => void } | { kubeconfig: string }): Promise<StartedPass> {
  let controlPlane: ControlPlane | undefined;
  let kubeApiserver: Target;
  if ('kubeconfig' in source) kubeApiserver = targetFromKubeconfig(source.kubeconfig);
  else {
    controlPlane = await startControlPlane({ binaries: source.binaries, coordinated: pass === 'coordinated', ...(source.log ? { log: source.log } : {}) });
    await controlPlane.restartApiServer();
    kubeApiserver = httpTarget({ name: 'kube-apiserver', url: controlPlane.url, token: controlPlane.token, ca: readFileSync(controlPlane.caFile) });
  }
  const embedded = await embeddedTarget(pass);
  return {
    targets: { pass, kubeApiserver, embedded: embedded.target },
    async stop() {
      kubeApiserver.close();
      embedded.target.close();
      await embedded.server.close();
      await controlPlane?.stop();
    },
  };
}
