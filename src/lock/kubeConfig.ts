import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { ConfigError } from '../lease/errors.js';

/**
 * Loads a kubeconfig the way kubectl finds one: the given file, else $KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account.
 */
export function loadKubeConfig(file?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (file !== undefined) {
    if (!existsSync(file)) throw new ConfigError(`kubeconfig ${file} does not exist`, 'kubeconfig');
    kubeConfig.loadFromFile(file);
  } else {
    kubeConfig.loadFromDefault();
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new ConfigError('the kubeconfig has no current cluster (set its current-context)', 'kubeconfig');
  }
  return kubeConfig;
}
