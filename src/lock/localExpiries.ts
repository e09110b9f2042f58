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

export class LocalExpiries {
  private readonly byObject = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number) {}

  /** The local expiry of `resourceVersion` of object `name`, starting its clock if this is its first sighting. */
  observed(name: string, resourceVersion: string, durationSeconds: number): number {
    const known = this.byObject.get(name)?.get(resourceVersion);
    if (known !== undefined) return known;
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
    const versions = this.byObject.get(name) ?? new Map<string, number>();
    versions.delete(resourceVersion);
    versions.set(resourceVersion, expiry);
    if (versions.size > VERSIONS_PER_OBJECT) versions.delete(versions.keys().next().value!);
    this.byObject.set(name, versions);
  }
}
