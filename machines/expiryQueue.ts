/**
 * A min-heap of (expiry, key) for the lease manager's single wake-up timer: the earliest expiry is
 * at the top in O(1), pushes and pops are O(log n). Entries are never updated in place: an extend
 * pushes a new entry and the old one goes stale; whoever pops checks the entry against the live
 * lease and drops it when it no longer matches. Stale entries can only make a wake-up earlier.
 */
export interface ExpiryEntry {
  expiry: number;
  key: string;
}

export class ExpiryQueue {
  private readonly heap: ExpiryEntry[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest expiry queued, or undefined when empty. */
  peek(): number | undefined {
    return this.heap[0]?.expiry;
  }

  push(entry: ExpiryEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (heap[parent]!.expiry <= entry.expiry) break;
      heap[child] = heap[parent]!;
      child = parent;
    }
    heap[child] = entry;
  }

  /** Removes and returns every entry with expiry <= `limit`, earliest first. */
  popThrough(limit: number): ExpiryEntry[] {
    const due: ExpiryEntry[] = [];
    while (this.heap.length && this.heap[0]!.expiry <= limit) due.push(this.pop());
    return due;
  }

  private pop(): ExpiryEntry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      let parent = 0;
      for (;;) {
        const left = 2 * parent + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.expiry < heap[left]!.expiry ? right : left;
        if (heap[child]!.expiry >= last.expiry) break;
        heap[parent] = heap[child]!;
        parent = child;
      }
      heap[parent] = last;
    }
    return top;
  }
}
