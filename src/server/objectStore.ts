/**
 * The server's objects (Leases and Events), whole JSON keyed by resource, namespace and name, with
 * one global, strictly increasing resourceVersion (as etcd's revision) and a bounded history of
 * changes that watches replay from and Exact lists undo.
 *
 * resourceVersions never go back or repeat across restarts: they start at the clock in
 * microseconds (or after the last one recovered from a journal, if that is later), and a server
 * hands out far fewer than a million a second. With a journal, a change is applied at once (so
 * that conditional writes decide on the latest state) but reaches watchers and the history only
 * once it is on disk, and answers wait for `settled()`: nobody sees a change a crash could undo.
 */
import { randomUUID } from 'node:crypto';
import type { Journal, JournaledStore, RecoveredState } from './journal.js';

/** Where objects are kept: one map per stored resource. */
export type Resource = 'leases' | 'events';

export interface StoredObject {
  apiVersion: string;
  kind: string;
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
  [field: string]: unknown;
}

/** What a write hands the store: the object less the fields the server sets. */
export interface NewObject {
  apiVersion: string;
  kind: string;
  metadata: Partial<StoredObject['metadata']> & { name: string };
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  resource: Resource;
  type: WatchEventType;
  object: StoredObject;
  /** The object before the change (undefined for ADDED): lists at an older resourceVersion undo it. */
  previous: StoredObject | undefined;
  resourceVersion: number;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;
const byName = (a: StoredObject, b: StoredObject) => (a.metadata.namespace + a.metadata.name).localeCompare(b.metadata.namespace + b.metadata.name);

export class ObjectStore implements JournaledStore {
  private readonly objects = new Map<Resource, Map<string, StoredObject>>([
    ['leases', new Map()],
    ['events', new Map()],
  ]);
  private readonly history: ChangeEvent[] = [];
  /** When each object was last written (epoch ms; not journaled: after a restart, its creation). */
  private readonly written = new Map<string, number>();
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  /** Opaque to clients; numbers inside, like etcd's revisions. */
  private revision: number;
  /** The last resourceVersion on disk and delivered to watchers (all of them without a journal). */
  private delivered: number;
  private journal: Journal | undefined;

  constructor(
    private readonly historyLimit: number,
    private readonly now: () => number,
    recovered: RecoveredState = { revision: 0, objects: [] },
  ) {
    this.revision = Math.max(1000, recovered.revision, Math.floor(now() * 1000));
    this.delivered = this.revision;
    for (const { resource, object } of recovered.objects) this.objects.get(resource)!.set(key(object.metadata.namespace, object.metadata.name), object);
  }

  /** From now on every change goes through `journal` before anyone sees it. */
  attach(journal: Journal): void {
    this.journal = journal;
  }

  /** Resolves once every change made so far is durable; rejects when the journal failed. */
  settled(): Promise<void> {
    return this.journal?.settled() ?? Promise.resolve();
  }

  /** The last resourceVersion every watcher has been sent (what BOOKMARKs may promise). */
  get deliveredResourceVersion(): number {
    return this.delivered;
  }

  count(): number {
    let total = 0;
    for (const objects of this.objects.values()) total += objects.size;
    return total;
  }

  state(): RecoveredState {
    const objects: RecoveredState['objects'] = [];
    for (const [resource, map] of this.objects) for (const object of map.values()) objects.push({ resource, object });
    return { revision: this.revision, objects };
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch can still resume after. */
  get oldestResumable(): number {
    return this.history.length > 0 ? this.history[0]!.resourceVersion - 1 : this.delivered;
  }

  /** When an object was last created or replaced (what a time to live counts from). */
  lastWritten(resource: Resource, object: StoredObject): number {
    return this.written.get(`${resource}/${key(object.metadata.namespace, object.metadata.name)}`) ?? Date.parse(object.metadata.creationTimestamp);
  }

  get(resource: Resource, namespace: string, name: string): StoredObject | undefined {
    return this.objects.get(resource)!.get(key(namespace, name));
  }

  list(resource: Resource, namespace: string | undefined): StoredObject[] {
    return [...this.objects.get(resource)!.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace).sort(byName);
  }

  /**
   * The objects as they were at `resourceVersion` (resourceVersionMatch=Exact): the current ones
   * with every later change undone. Undefined when that version is older than the history.
   */
  listAt(resource: Resource, namespace: string | undefined, resourceVersion: number): StoredObject[] | undefined {
    if (resourceVersion < this.oldestResumable) return undefined;
    const state = new Map(this.list(resource, namespace).map((o) => [key(o.metadata.namespace, o.metadata.name), o]));
    for (const event of this.history.filter((e) => e.resource === resource && e.resourceVersion > resourceVersion).reverse()) {
      const { namespace: ns, name } = event.object.metadata;
      if (namespace !== undefined && ns !== namespace) continue;
      if (event.previous) state.set(key(ns, name), event.previous);
      else state.delete(key(ns, name));
    }
    return [...state.values()].sort(byName);
  }

  /** Every namespace holding an object, and default. */
  namespaces(): string[] {
    const names = new Set(['default']);
    for (const objects of this.objects.values()) for (const o of objects.values()) names.add(o.metadata.namespace);
    return [...names].sort();
  }

  /**
   * Stores a new object. A dry run answers the object as it would be stored (uid and
   * creationTimestamp set, no resourceVersion yet) and changes nothing: no revision, no watch event.
   */
  create(resource: Resource, namespace: string, object: NewObject, dryRun = false): StoredObject {
    const { resourceVersion: _ignored, generation: _alsoIgnored, ...metadata } = object.metadata;
    const stored = {
      ...object,
      metadata: { ...metadata, namespace, uid: randomUUID(), creationTimestamp: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    } as StoredObject;
    if (dryRun) return stored;
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.get(resource)!.set(key(namespace, stored.metadata.name), stored);
    this.written.set(`${resource}/${key(namespace, stored.metadata.name)}`, this.now());
    this.record(resource, 'ADDED', stored, undefined);
    return stored;
  }

  /**
   * Replaces an existing object; identity fields (uid, creationTimestamp) are the server's. A dry
   * run answers the replacement at the current resourceVersion and stores nothing.
   */
  replace(resource: Resource, current: StoredObject, next: NewObject, dryRun = false): StoredObject {
    const stored: StoredObject = {
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
    this.objects.get(resource)!.set(key(current.metadata.namespace, current.metadata.name), stored);
    this.written.set(`${resource}/${key(current.metadata.namespace, current.metadata.name)}`, this.now());
    this.record(resource, 'MODIFIED', stored, current);
    return stored;
  }

  /** Deletes an object; a dry run answers what would be deleted and deletes nothing. */
  delete(resource: Resource, current: StoredObject, dryRun = false): StoredObject {
    if (dryRun) return current;
    this.objects.get(resource)!.delete(key(current.metadata.namespace, current.metadata.name));
    this.written.delete(`${resource}/${key(current.metadata.namespace, current.metadata.name)}`);
    const deleted = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.revision) } };
    this.record(resource, 'DELETED', deleted, current);
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

  private record(resource: Resource, type: WatchEventType, object: StoredObject, previous: StoredObject | undefined): void {
    const event: ChangeEvent = { resource, type, object, previous, resourceVersion: Number(object.metadata.resourceVersion) };
    if (!this.journal) return this.deliver(event);
    // In order: the journal settles its appends in order. A failed journal fails every answer.
    this.journal.append(event).then(() => this.deliver(event), () => undefined);
  }

  private deliver(event: ChangeEvent): void {
    this.delivered = event.resourceVersion;
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }
}
