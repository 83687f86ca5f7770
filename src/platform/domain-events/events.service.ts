import type { Tx } from '../db/database.js';
import { listDomainEvents, type EventFilters } from './events.repository.js';
import type { EventPage } from './events.schemas.js';

export interface EventPaging {
  /** The seq after which to read, in decimal (the previous page's next_cursor). */
  cursor?: string | undefined;
  limit?: number | undefined;
}

/**
 * A page of the event store in sequence order. Runs in the caller's actor transaction: row-level
 * security shows domain_events to SA and AD only. Sequence numbers are allocated when an event is
 * appended, not when its transaction commits, so this is a reading of history, not a tail for a relay
 * (see docs/decisions/0015-event-store-reads.md).
 */
export async function listEvents(tx: Tx, filters: EventFilters, paging: EventPaging): Promise<EventPage> {
  const limit = paging.limit ?? 100;
  // One row more than asked says whether there is a next page.
  const rows = await listDomainEvents(tx, filters, { afterSeq: Number(paging.cursor ?? 0), limit: limit + 1 });
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({ ...row, occurred_at: row.occurred_at.toISOString() })),
    next_cursor: rows.length > limit ? String(page.at(-1)?.seq) : null,
  };
}
