// The log page by page, the way every catch-up reads it (projections at start, a rebuild, a reaction's feed).
import type { StoredEvent } from '../events/envelope.js';

/**
 * Pages of the log after `after`, each read when the one before has been taken; ends at the first page shorter
 * than `pageSize` (what committed after that read is the next caller's to find).
 */
export async function* logPages(read: (after: number, limit: number) => Promise<StoredEvent[]>, after: number, pageSize: number): AsyncGenerator<StoredEvent[]> {
  for (;;) {
    const page = await read(after, pageSize);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.position;
  }
}
