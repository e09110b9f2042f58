/**
 * `as=Table` output, the server-side printing kubectl get asks for: Leases as NAME, HOLDER, AGE;
 * Events as LAST SEEN, TYPE, REASON, OBJECT, MESSAGE.
 */
import { lastSeen } from './events.js';
import type { StoredObject } from './objectStore.js';

export const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? '');

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

interface Column {
  name: string;
  description: string;
  cell: (object: StoredObject, now: number) => string;
}

export type TablePrinter = (objects: StoredObject[], resourceVersion: number, now: number) => unknown;

function printer(columns: Column[]): TablePrinter {
  const columnDefinitions = columns.map(({ name, description }) => ({ name, type: 'string', format: name === 'Name' ? 'name' : '', description, priority: 0 }));
  return (objects, resourceVersion, now) => ({
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: String(resourceVersion) },
    columnDefinitions,
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.cell(object, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  });
}

export const leaseTable = printer([
  { name: 'Name', description: 'Name must be unique within a namespace.', cell: (o) => o.metadata.name },
  { name: 'Holder', description: 'Who holds the lease now.', cell: (o) => String((o.spec as { holderIdentity?: unknown } | undefined)?.holderIdentity ?? '') },
  { name: 'Age', description: 'Time since the lease was created.', cell: (o, now) => humanAge(now - Date.parse(o.metadata.creationTimestamp)) },
]);

export const eventTable = printer([
  {
    name: 'Last Seen',
    description: 'Time since the event was last seen, and how often it happened.',
    cell: (o, now) => {
      const count = Number((o.series as { count?: number } | undefined)?.count ?? o.count ?? 1);
      const age = humanAge(now - lastSeen(o));
      const first = Date.parse(String(o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp));
      return count > 1 ? `${age} (x${count} over ${humanAge(now - first)})` : age;
    },
  },
  { name: 'Type', description: 'Normal or Warning.', cell: (o) => String(o.type ?? '') },
  { name: 'Reason', description: 'Why the event happened, in CamelCase.', cell: (o) => String(o.reason ?? '') },
  {
    name: 'Object',
    description: 'The object the event is about.',
    cell: (o) => {
      const about = (o.involvedObject ?? {}) as { kind?: string; name?: string };
      return `${String(about.kind ?? '').toLowerCase()}/${about.name ?? ''}`;
    },
  },
  { name: 'Message', description: 'What happened, for a human.', cell: (o) => String(o.message ?? '') },
]);
