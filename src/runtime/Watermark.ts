// Entries taken in order and finished in any order: how far the finished ones reach without a gap. A checkpoint
// may move there, and a broker may be acknowledged up to there, without skipping anything still in hand.

export class Watermark<T> {
  private readonly entries: { value: T; done: boolean }[] = [];
  private readonly index = new Map<T, { value: T; done: boolean }>();

  /** Takes `value` as the next in order. */
  add(value: T): void {
    const entry = { value, done: false };
    this.entries.push(entry);
    this.index.set(value, entry);
  }

  /** Marks `value` finished; returns the values now finished without a gap before them, oldest first (maybe none). */
  finish(value: T): T[] {
    const entry = this.index.get(value);
    if (entry) entry.done = true;
    const settled: T[] = [];
    while (this.entries.length > 0 && this.entries[0]!.done) {
      const first = this.entries.shift()!;
      this.index.delete(first.value);
      settled.push(first.value);
    }
    return settled;
  }

  /** Entries taken and not settled yet. */
  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries.length = 0;
    this.index.clear();
  }
}
