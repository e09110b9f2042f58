/**
 * When each lease lapses by this process's clock. Clocks of different processes are never compared:
 * a record someone else wrote lapses its duration after this process first saw that resourceVersion
 * (later than it really does, never earlier); a record this process wrote lapses its duration after
 * the write was sent.
 *
 * A few resourceVersions are remembered per object, because a watch may deliver an older version
 * after a read saw a newer one: seeing it again must not restart its clock.
 */

const VERSIONS_PER_OBJECT = 4;

/** An object's remembered versions, oldest first: a pair of short arrays, not a Map, for 10,000 objects' sake. */
interface Versions {
  resourceVersions: string[];
  expiries: number[];
}

export class LocalExpiries {
  private readonly byObject = new Map<string, Versions>();

  constructor(private readonly now: () => number) {}

  /** The local expiry of `resourceVersion` of object `name`, starting its clock if this is its first sighting. */
  observed(name: string, resourceVersion: string, durationSeconds: number): number {
    const versions = this.byObject.get(name);
    const index = versions ? versions.resourceVersions.indexOf(resourceVersion) : -1;
    if (index >= 0) return versions!.expiries[index]!;
    const expiry = this.now() + durationSeconds * 1000;
    this.remember(name, resourceVersion, expiry);
    return expiry;
  }

  /** Records the expiry of a version this process wrote (it knows better than any sighting). */
  wrote(name: string, resourceVersion: string, expiry: number): void {
    this.remember(name, resourceVersion, expiry);
  }

  forget(name: string): void {
    this.byObject.delete(name);
  }

  private remember(name: string, resourceVersion: string, expiry: number): void {
    let versions = this.byObject.get(name);
    if (!versions) {
      versions = { resourceVersions: [], expiries: [] };
      this.byObject.set(name, versions);
    }
    const index = versions.resourceVersions.indexOf(resourceVersion);
    if (index >= 0) {
      versions.resourceVersions.splice(index, 1);
      versions.expiries.splice(index, 1);
    }
    versions.resourceVersions.push(resourceVersion);
    versions.expiries.push(expiry);
    if (versions.resourceVersions.length > VERSIONS_PER_OBJECT) {
      versions.resourceVersions.shift();
      versions.expiries.shift();
    }
  }
}
