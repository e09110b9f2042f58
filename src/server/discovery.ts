/** Discovery documents kubectl and client libraries read before they touch a resource. */

export const version = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0+leasehold',
  gitCommit: 'leasehold',
  gitTreeState: 'clean',
  buildDate: '2026-11-01T00:00:00Z',
  goVersion: 'go1.24.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export const coreVersions = (serverAddress: string) => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
});

export const coreResources = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [{ name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] }],
};

const groupVersion = { groupVersion: 'coordination.k8s.io/v1', version: 'v1' };

export const coordinationGroup = {
  kind: 'APIGroup',
  apiVersion: 'v1',
  name: 'coordination.k8s.io',
  versions: [groupVersion],
  preferredVersion: groupVersion,
};

export const groups = { kind: 'APIGroupList', apiVersion: 'v1', groups: [coordinationGroup] };

export const LEASE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const coordinationResources = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'coordination.k8s.io/v1',
  resources: [{ name: 'leases', singularName: 'lease', namespaced: true, kind: 'Lease', verbs: LEASE_VERBS }],
};

export const namespace = (name: string) => ({
  kind: 'Namespace',
  apiVersion: 'v1',
  metadata: { name, uid: `namespace-${name}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'kubernetes.io/metadata.name': name } },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
});

export const namespaceList = (names: string[]) => ({
  kind: 'NamespaceList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '1' },
  items: names.map(namespace),
});
