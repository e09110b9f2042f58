/**
 * Overlap judged from the effects themselves: every participant's guarded work appends JSON lines to
 * one shared file (test/peers/client-go/effects for commands, the library peer in-process), one
 * write per line with O_APPEND, so the file's order is the order in which the effects happened. A
 * tenure is one writer's run of lines (one process, or one term of the library peer); two tenures
 * overlap when their lines interleave in the file, or when one's timestamps reach into the other's.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

export interface Effect {
  who: string;
  pid: number;
  /** LEASEHOLD_TERM (leasehold), null where the writer has none (client-go). */
  term: number | null;
  seq: number;
  wallNs: number;
  monoNs: number;
  /** Position in the file. */
  index: number;
}

export interface Tenure {
  who: string;
  pid: number;
  term: number | null;
  first: Effect;
  last: Effect;
  count: number;
}

export interface Overlap {
  earlier: Tenure;
  later: Tenure;
  /** How far the earlier tenure's last effect reaches past the later one's first, in ms (file order breaks ties). */
  ms: number;
}

/** Reads the effects file as it grows: each call parses only the complete lines added since the last. */
export class EffectsReader {
  private readonly effects: Effect[] = [];
  private offset = 0;
  private pending = '';

  constructor(readonly file: string) {}

  read(): Effect[] {
    if (!existsSync(this.file)) return this.effects;
    const fd = openSync(this.file, 'r');
    try {
      const chunk = Buffer.alloc(1 << 16);
      for (let bytes; (bytes = readSync(fd, chunk, 0, chunk.length, this.offset)) > 0; ) {
        this.offset += bytes;
        this.pending += chunk.toString('utf8', 0, bytes);
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.pending.split('\n');
    // The last piece has no newline yet: a line being written, or one a killed writer left partial.
    this.pending = lines.pop()!;
    for (const line of lines) {
      try {
        this.effects.push({ ...(JSON.parse(line) as Omit<Effect, 'index'>), index: this.effects.length });
      } catch {
        // Not an effect: each is one write() of a whole line, so this is never a torn one.
      }
    }
    return this.effects;
  }
}

/** Tenures in the order they began: one per writer process, and per term for a writer that keeps its process. */
export function tenuresOf(effects: Effect[]): Tenure[] {
  const tenures: Tenure[] = [];
  const current = new Map<string, Tenure>();
  for (const effect of effects) {
    const key = `${effect.pid} ${effect.who} ${effect.term ?? ''}`;
    const tenure = current.get(key);
    if (tenure && effect.seq > tenure.last.seq) {
      tenure.last = effect;
      tenure.count++;
      continue;
    }
    // First effect of this writer, or its sequence began again: a new tenure of the same process.
    const started: Tenure = { who: effect.who, pid: effect.pid, term: effect.term, first: effect, last: effect, count: 1 };
    current.set(key, started);
    tenures.push(started);
  }
  return tenures;
}

/** Every pair of tenures whose effects interleave in the file or overlap in time. */
export function overlapsOf(tenures: Tenure[]): Overlap[] {
  const overlaps: Overlap[] = [];
  for (let i = 0; i < tenures.length; i++) {
    for (let j = i + 1; j < tenures.length; j++) {
      const [earlier, later] = [tenures[i]!, tenures[j]!];
      const interleaved = earlier.last.index > later.first.index;
      const reach = (earlier.last.monoNs - later.first.monoNs) / 1e6;
      if (interleaved || reach >= 0) overlaps.push({ earlier, later, ms: reach });
    }
  }
  return overlaps;
}

/** A readable account of the tenures, for failure messages. */
export function describeTenures(tenures: Tenure[]): string {
  const start = tenures[0]?.first.monoNs ?? 0;
  return tenures
    .map((t) => `${t.who} (pid ${t.pid}${t.term === null ? '' : `, term ${t.term}`}): ${((t.first.monoNs - start) / 1e6).toFixed(1)}-${((t.last.monoNs - start) / 1e6).toFixed(1)} ms, ${t.count} effects`)
    .join('\n');
}
