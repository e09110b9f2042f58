/**
 * Durability for `serve --data-dir DIR`: every change is appended to DIR/wal.log and fsynced before
 * the write is answered or any watcher sees it. Writes that arrive while an fsync is in flight wait
 * for the next one together (group commit), so eight writers share one fsync rather than queueing
 * for eight. When the log has grown past a multiple of the objects it describes, the state is
 * written to DIR/snapshot.json (fsync, rename, fsync of the directory) and the log emptied: a crash
 * at any point leaves either the old snapshot and the whole log or the new snapshot.
 *
 * Each log line is `<crc32 hex> <json>`; on start the log is replayed up to the first line that is
 * torn or fails its checksum (a write cut short by kill -9 or a power loss, never acknowledged), and
 * the file is cut back there. DIR/lock holds the pid of the server using DIR: a second server on
 * the same directory is refused while that process lives.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ConfigError } from '../lease/errors.js';
import type { ChangeEvent, Resource, StoredObject } from './objectStore.js';

/** What a restart finds: the objects and the last resourceVersion handed out. */
export interface RecoveredState {
  revision: number;
  objects: { resource: Resource; object: StoredObject }[];
}

interface LogRecord {
  rv: number;
  resource: Resource;
  type: ChangeEvent['type'];
  object: StoredObject;
}

interface Snapshot {
  revision: number;
  objects: { resource: Resource; object: StoredObject }[];
}


const line = (record: LogRecord) => {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
};

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the journal asks of the store it keeps: how many objects, and all of them for a snapshot. */
export interface JournaledStore {
  count(): number;
  state(): RecoveredState;
}

/** Reads DIR (creating it), replays its log and takes its lock. */
export async function openJournal(dir: string, store: JournaledStore, compactionSlack: number): Promise<{ journal: Journal; recovered: RecoveredState }> {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, 'lock');
  if (existsSync(lockPath)) {
    const holder = Number(readFileSync(lockPath, 'utf8'));
    if (holder !== process.pid && pidAlive(holder)) throw new ConfigError(`${dir} is in use by another leasehold server (pid ${holder})`, 'dataDir');
  }
  writeFileSync(lockPath, String(process.pid));

  const snapshotPath = join(dir, 'snapshot.json');
  const snapshot: Snapshot = existsSync(snapshotPath) ? (JSON.parse(readFileSync(snapshotPath, 'utf8')) as Snapshot) : { revision: 0, objects: [] };
  const state = new Map(snapshot.objects.map((entry) => [`${entry.resource}/${entry.object.metadata.namespace}/${entry.object.metadata.name}`, entry]));
  let revision = snapshot.revision;

  const logPath = join(dir, 'wal.log');
  const text = existsSync(logPath) ? readFileSync(logPath) : Buffer.alloc(0);
  let goodBytes = 0;
  let records = 0;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf(0x0a, start);
    if (end < 0) break; // torn last line
    const entry = text.subarray(start, end).toString('utf8');
    const json = entry.slice(9);
    if (entry[8] !== ' ' || crc32(json).toString(16).padStart(8, '0') !== entry.slice(0, 8)) break;
    const record = JSON.parse(json) as LogRecord;
    if (record.rv > revision) {
      const key = `${record.resource}/${record.object.metadata.namespace}/${record.object.metadata.name}`;
      if (record.type === 'DELETED') state.delete(key);
      else state.set(key, { resource: record.resource, object: record.object });
      revision = record.rv;
    }
    records++;
    start = end + 1;
    goodBytes = start;
  }
  const handle = await open(logPath, 'a+');
  if (goodBytes < text.length) {
    await handle.truncate(goodBytes);
    await handle.sync();
  }
  const journal = new Journal(dir, handle, lockPath, records, store, compactionSlack);
  return { journal, recovered: { revision, objects: [...state.values()] } };
}

export class Journal {
  private pending: { record: LogRecord; done: () => void; failed: (error: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private last: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly dir: string,
    private handle: FileHandle,
    private readonly lockPath: string,
    /** Records in the log since the last snapshot. */
    private records: number,
    private readonly store: JournaledStore,
    /** Compact when the log holds this many records more than twice the live objects. */
    private readonly compactionSlack: number,
  ) {}

  /** Queues a change; resolves once it is on disk. */
  append(event: ChangeEvent): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const record: LogRecord = { rv: event.resourceVersion, resource: event.resource, type: event.type, object: event.object };
    this.last = new Promise<void>((done, failed) => this.pending.push({ record, done, failed }));
    this.flushing ??= this.flushLoop();
    return this.last;
  }

  /** Resolves once every change appended so far is on disk. */
  settled(): Promise<void> {
    return this.last;
  }

  async close(): Promise<void> {
    await this.last.catch(() => undefined);
    await this.flushing;
    await this.handle.close();
    unlinkSync(this.lockPath);
  }

  private async flushLoop(): Promise<void> {
    // Let the writes of this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const state = this.records + batch.length > 2 * this.store.count() + this.compactionSlack ? this.store.state() : undefined;
        if (state) await this.compact(state);
        else await this.write(batch.map((entry) => entry.record));
        for (const entry of batch) entry.done();
      } catch (error) {
        this.failure = error;
        for (const entry of [...batch, ...this.pending]) entry.failed(error);
        this.pending = [];
      }
    }
    this.flushing = undefined;
  }

  private async write(records: LogRecord[]): Promise<void> {
    await this.handle.write(records.map(line).join(''));
    await this.handle.datasync();
    this.records += records.length;
  }

  /** The whole state (which includes every pending change) as the new snapshot; the log starts empty. */
  private async compact(state: RecoveredState): Promise<void> {
    const temporary = join(this.dir, 'snapshot.json.tmp');
    const file = await open(temporary, 'w');
    await file.write(JSON.stringify(state satisfies Snapshot));
    await file.sync();
    await file.close();
    await rename(temporary, join(this.dir, 'snapshot.json'));
    const directory = openSync(this.dir, 'r');
    try {
      fsyncSync(directory); // the rename itself must survive a power loss
    } finally {
      closeSync(directory);
    }
    await this.handle.truncate(0);
    await this.handle.sync();
    this.records = 0;
  }
}
