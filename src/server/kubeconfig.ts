/** A kubeconfig for the embedded server that kubectl and @kubernetes/client-node accept as is. */
export function kubeConfigFor(url: string, token?: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: leasehold',
    '  cluster:',
    `    server: ${url}`,
    // client-node refuses a plain-http cluster unless told not to verify TLS.
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: leasehold',
    token ? `  user:\n    token: ${JSON.stringify(token)}` : '  user: {}',
    'contexts:',
    '- name: leasehold',
    '  context:',
    '    cluster: leasehold',
    '    user: leasehold',
    '    namespace: default',
    'current-context: leasehold',
    '',
  ].join('\n');
}
