/**
 * Finding the cluster the way kubectl and client-go do: the kubeconfig file given (the CLI's
 * --kubeconfig), else the files in $KUBECONFIG (merged, missing ones skipped, as kubectl does), else
 * ~/.kube/config, else the in-cluster service account (KUBERNETES_SERVICE_HOST/PORT and the token
 * mounted in every pod). Nothing found is an error: never client-node's silent fallback to
 * http://localhost:8080.
 *
 * The namespace, for callers that were not given one: the service account's namespace file (the
 * pod's own namespace), else the kubeconfig context's, else "default".
 */
import { KubeConfig } from '@kubernetes/client-node';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../lease/errors.js';

/** Where Kubernetes mounts a pod's service account (client-node's loadFromCluster prefixes it with a root). */
const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface FindKubeConfigOptions {
  /** A kubeconfig file that must be used (the CLI's --kubeconfig). */
  file?: string;
  /** How `file` is named in errors; default "kubeconfig". */
  fileLabel?: string;
}

export interface FoundKubeConfig {
  kubeConfig: KubeConfig;
  /** Where it came from, for a log line: "--kubeconfig /x", "KUBECONFIG=/a:/b", a path, "in-cluster (...)". */
  source: string;
  /** The namespace to use when none was given. */
  namespace: string;
}

/**
 * Reads process.env: KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT, and LEASEHOLD_IN_CLUSTER_ROOT,
 * a directory that stands in for "/" when looking for the service account (for tests).
 */
export function findKubeConfig({ file, fileLabel = 'kubeconfig' }: FindKubeConfigOptions = {}): FoundKubeConfig {
  const root = process.env.LEASEHOLD_IN_CLUSTER_ROOT ?? '';
  const found = file !== undefined ? fromFiles([file], `${fileLabel} ${file}`) : fromEnvironment(root);
  if (!found) {
    throw new ConfigError(
      'no cluster found: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account',
      'kubeconfig',
    );
  }
  const context = found.kubeConfig.getContextObject(found.kubeConfig.getCurrentContext());
  if (!context || !found.kubeConfig.getCurrentCluster()) {
    throw new ConfigError(`${found.source}: no current context with a cluster (set current-context)`, 'kubeconfig');
  }
  const namespace = readNamespace(join(root, SERVICE_ACCOUNT, 'namespace')) ?? (context.namespace || 'default');
  return { ...found, namespace };
}

/** The kubeconfig alone, found as findKubeConfig does (the library's entry point). */
export function loadKubeConfig(file?: string): KubeConfig {
  return findKubeConfig(file === undefined ? {} : { file }).kubeConfig;
}

function fromEnvironment(root: string): Omit<FoundKubeConfig, 'namespace'> | undefined {
  const { KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port } = process.env;
  const listed = (KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (listed.length > 0) {
    const present = listed.filter((path) => existsSync(path));
    if (present.length === 0) throw new ConfigError(`KUBECONFIG=${KUBECONFIG}: none of these files exists`, 'KUBECONFIG');
    return fromFiles(present, `KUBECONFIG=${KUBECONFIG}`);
  }
  const inHome = join(HOME ?? homedir(), '.kube', 'config');
  if (existsSync(inHome)) return fromFiles([inHome], inHome);
  if (host && port && existsSync(join(root, SERVICE_ACCOUNT, 'token'))) {
    // client-node builds it from the same variables and files, and re-reads the token as it rotates.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromCluster(root);
    return { kubeConfig, source: `in-cluster (${kubeConfig.getCurrentCluster()?.server}, service account in ${join(root || '/', SERVICE_ACCOUNT)})` };
  }
  return undefined;
}

/** Loads and merges kubeconfig files (the first file's current-context wins); errors name `source`. */
function fromFiles(files: string[], source: string): Omit<FoundKubeConfig, 'namespace'> {
  const field = source.startsWith('KUBECONFIG') ? 'KUBECONFIG' : 'kubeconfig';
  let merged: KubeConfig | undefined;
  for (const path of files) {
    const where = files.length === 1 ? source : `${source}: ${path}`;
    try {
      if (statSync(path).isDirectory()) throw new ConfigError(`${where} is a directory, not a kubeconfig file`, field);
      accessSync(path, constants.R_OK);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(`${where}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`, field);
    }
    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromFile(path);
    } catch (error) {
      const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new ConfigError(`${where}: not a valid kubeconfig: ${first}`, field);
    }
    if (merged) merged.mergeConfig(kubeConfig, true);
    else merged = kubeConfig;
  }
  return { kubeConfig: merged!, source };
}

function readNamespace(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
