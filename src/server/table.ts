/** `as=Table` output, the server-side printing kubectl get asks for: NAME, HOLDER, AGE. */
import type { LeaseObject } from './leaseObjects.js';

export const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? '');

const columnDefinitions = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Holder', type: 'string', format: '', description: 'holderIdentity contains the identity of the holder of a current lease.', priority: 0 },
  { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
];

/** Kubernetes' short human duration: 45s, 3m12s, 5h, 3d. */
export function humanAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

const partialMetadata = (object: LeaseObject) => ({
  kind: 'PartialObjectMetadata',
  apiVersion: 'meta.k8s.io/v1',
  metadata: object.metadata,
});

export function table(objects: LeaseObject[], resourceVersion: number, now: number) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: String(resourceVersion) },
    columnDefinitions,
    rows: objects.map((object) => ({
      cells: [
        object.metadata.name,
        typeof object.spec?.holderIdentity === 'string' ? object.spec.holderIdentity : '',
        humanAge(now - Date.parse(object.metadata.creationTimestamp)),
      ],
      object: partialMetadata(object),
    })),
  };
}
