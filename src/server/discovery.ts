/** Discovery documents kubectl and client libraries read before they touch a resource. */

export const version = {
  major: '1',
  minor: '33',
  emulationMajor: '1',
  emulationMinor: '33',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '32',
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

const OBJECT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface DiscoveredResource {
  group: string;
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
}

/** Every resource served, with its verbs: discovery lists them and access reviews answer from them. */
export const resources: DiscoveredResource[] = [
  { group: '', name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] },
  { group: '', name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: OBJECT_VERBS, shortNames: ['ev'] },
  { group: 'coordination.k8s.io', name: 'leases', singularName: 'lease', namespaced: true, kind: 'Lease', verbs: OBJECT_VERBS },
  { group: 'events.k8s.io', name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: OBJECT_VERBS, shortNames: ['ev'] },
  { group: 'authorization.k8s.io', name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
  { group: 'authorization.k8s.io', name: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', namespaced: false, kind: 'SelfSubjectRulesReview', verbs: ['create'] },
];

const resourceList = (group: string) => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: group === '' ? 'v1' : `${group}/v1`,
  resources: resources.filter((r) => r.group === group).map(({ group: _group, ...resource }) => resource),
});

export const GROUPS = ['coordination.k8s.io', 'events.k8s.io', 'authorization.k8s.io'];

const apiGroup = (name: string) => {
  const groupVersion = { groupVersion: `${name}/v1`, version: 'v1' };
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: [groupVersion], preferredVersion: groupVersion };
};

export const groups = { kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map(apiGroup) };

/** The media type kubectl 1.26+ asks discovery for first: every group, version and resource in one document. */
export const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Aggregated discovery (apidiscovery.k8s.io/v2) of /api (`core`) or /apis. */
export function aggregatedDiscovery(core: boolean) {
  const groups = core ? [''] : GROUPS;
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: group === '' ? {} : { name: group },
      versions: [
        {
          version: 'v1',
          resources: resources
            .filter((resource) => resource.group === group)
            .map(({ name, singularName, namespaced, kind, verbs, shortNames }) => ({
              resource: name,
              responseKind: { group: '', version: '', kind },
              scope: namespaced ? 'Namespaced' : 'Cluster',
              singularResource: singularName,
              verbs,
              ...(shortNames ? { shortNames } : {}),
            })),
          freshness: 'Current',
        },
      ],
    })),
  };
}

/** Whether an Accept header asks for aggregated discovery before anything else it accepts. */
export function wantsAggregated(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',')[0]!.replace(/\s+/g, '');
  return first.includes('as=APIGroupDiscoveryList') && first.includes('g=apidiscovery.k8s.io') && first.includes('v=v2');
}

/** The discovery document at `path`, or undefined. */
export function discoveryDocument(path: string, host: string): unknown {
  if (path === '/api') return coreVersions(host);
  if (path === '/api/v1') return resourceList('');
  if (path === '/apis') return groups;
  const match = /^\/apis\/([^/]+)(\/v1)?$/.exec(path);
  if (!match || !GROUPS.includes(match[1]!)) return undefined;
  return match[2] ? resourceList(match[1]!) : apiGroup(match[1]!);
}

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
