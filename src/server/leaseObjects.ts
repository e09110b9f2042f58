/**
 * The server's lease objects: whole Lease JSON keyed by namespace/name, one global, strictly
 * increasing resourceVersion, and a bounded history of changes that watches replay from.
 */
import { randomUUID } from 'node:crypto';

export interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  type: WatchEventType;
  object: LeaseObject;
  /** The object before the change (undefined for ADDED): lists at an older resourceVersion undo it. */
  previous: LeaseObject | undefined;
  resourceVersion: number;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

export class LeaseObjects {
  private readonly objects = new Map<string, LeaseObject>();
  private readonly history: ChangeEvent[] = [];
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  /** Opaque to clients; numbers inside, like etcd's revisions. Starts where kube test servers do. */
  private revision = 1000;

  constructor(
    private readonly historyLimit = 1000,
    private readonly now: () => number,
  ) {}

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch can still resume after. */
  get oldestResumable(): number {
    return this.history.length > 0 ? this.history[0]!.resourceVersion - 1 : this.revision;
  }

  get(namespace: string, name: string): LeaseObject | undefined {
    return this.objects.get(key(namespace, name));
  }

  list(namespace: string | undefined): LeaseObject[] {
    return [...this.objects.values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => (a.metadata.namespace + a.metadata.name).localeCompare(b.metadata.namespace + b.metadata.name));
  }

  /**
   * The objects as they were at `resourceVersion` (resourceVersionMatch=Exact): the current ones
   * with every later change undone. Undefined when that version is older than the history.
   */
  listAt(namespace: string | undefined, resourceVersion: number): LeaseObject[] | undefined {
    if (resourceVersion < this.oldestResumable) return undefined;
    const state = new Map(this.list(namespace).map((o) => [key(o.metadata.namespace, o.metadata.name), o]));
    for (const event of this.history.filter((e) => e.resourceVersion > resourceVersion).reverse()) {
      const { namespace: ns, name } = event.object.metadata;
      if (namespace !== undefined && ns !== namespace) continue;
      if (event.previous) state.set(key(ns, name), event.previous);
      else state.delete(key(ns, name));
    }
    return [...state.values()].sort((a, b) => (a.metadata.namespace + a.metadata.name).localeCompare(b.metadata.namespace + b.metadata.name));
  }

  namespaces(): string[] {
    return [...new Set(['default', ...[...this.objects.values()].map((o) => o.metadata.namespace)])].sort();
  }

  /**
   * Stores a new object. A dry run answers the object as it would be stored (uid and
   * creationTimestamp set, no resourceVersion yet) and changes nothing: no revision, no watch event.
   */
  create(namespace: string, object: Pick<LeaseObject, 'metadata' | 'spec'>, dryRun = false): LeaseObject {
    const stored: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...object,
      metadata: {
        ...object.metadata,
        namespace,
        uid: randomUUID(),
        resourceVersion: '',
        creationTimestamp: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    };
    delete stored.metadata.generation;
    if (dryRun) {
      delete (stored.metadata as { resourceVersion?: string }).resourceVersion;
      return stored;
    }
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key(namespace, stored.metadata.name), stored);
    this.record('ADDED', stored, undefined);
    return stored;
  }

  /**
   * Replaces an existing object; identity fields (uid, creationTimestamp) are the server's. A dry
   * run answers the replacement at the current resourceVersion and stores nothing.
   */
  replace(current: LeaseObject, next: Pick<LeaseObject, 'metadata' | 'spec'>, dryRun = false): LeaseObject {
    const stored: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...next,
      metadata: {
        ...next.metadata,
        name: current.metadata.name,
        namespace: current.metadata.namespace,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        resourceVersion: dryRun ? current.metadata.resourceVersion : String(++this.revision),
      },
    };
    if (dryRun) return stored;
    this.objects.set(key(current.metadata.namespace, current.metadata.name), stored);
    this.record('MODIFIED', stored, current);
    return stored;
  }

  /** Deletes an object; a dry run answers what would be deleted and deletes nothing. */
  delete(current: LeaseObject, dryRun = false): LeaseObject {
    if (dryRun) return current;
    this.objects.delete(key(current.metadata.namespace, current.metadata.name));
    const deleted = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.revision) } };
    this.record('DELETED', deleted, current);
    return deleted;
  }

  /** Changes after `resourceVersion`, oldest first (the caller checks it is still resumable). */
  since(resourceVersion: number): ChangeEvent[] {
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(type: WatchEventType, object: LeaseObject, previous: LeaseObject | undefined): void {
    const event: ChangeEvent = { type, object, previous, resourceVersion: Number(object.metadata.resourceVersion) };
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }
}
