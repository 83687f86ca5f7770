import type { Tx } from '../../db/database.js';

/** One fact about an aggregate, appended to the outbox in the transaction that made it true. */
export interface DomainEvent {
  aggregateType: string;
  aggregateId: string;
  /** The aggregate's row version after the change, when it has one. */
  aggregateVersion: number | null;
  /** `<aggregate>.<past tense>`, e.g. `session.cancelled`. */
  eventType: string;
  payload: Record<string, unknown>;
}

/** Writes through `append_domain_event` (migration 0013), which stamps the actor and request id of `tx`. */
export async function appendDomainEvent(tx: Tx, event: DomainEvent): Promise<void> {
  await tx.query('select append_domain_event($1, $2, $3, $4, $5::jsonb)', [
    event.aggregateType,
    event.aggregateId,
    event.aggregateVersion,
    event.eventType,
    JSON.stringify(event.payload),
  ]);
}
