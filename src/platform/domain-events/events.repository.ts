import type { Tx } from '../db/database.js';

export interface EventFilters {
  aggregateType?: string | undefined;
  aggregateId?: string | undefined;
  eventType?: string | undefined;
}

export interface DomainEventRow {
  seq: number;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_version: number | null;
  event_type: string;
  payload: Record<string, unknown>;
  actor_id: string | null;
  request_id: string | null;
  occurred_at: Date;
}

/**
 * Events in sequence order after `afterSeq`. Each filter is an equality, so with the seq range the
 * statement is served by domain_events_aggregate_idx (type, id, seq) or domain_events_event_type_idx
 * (event_type, seq) without a sort.
 */
export async function listDomainEvents(tx: Tx, filters: EventFilters, page: { afterSeq: number; limit: number }): Promise<DomainEventRow[]> {
  const params: unknown[] = [page.afterSeq];
  const conditions = ['seq > $1'];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(`${column} = $${params.length}`);
  };
  equal('aggregate_type', filters.aggregateType);
  equal('aggregate_id', filters.aggregateId);
  equal('event_type', filters.eventType);
  const { rows } = await tx.query<DomainEventRow>(
    `select seq, aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id, occurred_at
       from domain_events
      where ${conditions.join(' and ')}
      order by seq
      limit $${params.length + 1}`,
    [...params, page.limit],
  );
  return rows;
}
