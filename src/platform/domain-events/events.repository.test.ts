import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { asTx, type Tx } from '../db/database.js';
import { type EventFilters, listDomainEvents } from './events.repository.js';

// Real database: the plans PostgreSQL chooses for the repository's own statements.
const context = useTestApp();

/** The plan of the statement listDomainEvents sends, read in an SA transaction. */
async function planOf(filters: EventFilters): Promise<string> {
  return context.db.withActor({ userId: randomUUID(), role: 'SA', providerId: null }, async (tx) => {
    // A test table is tiny, so a sequential scan would win on cost; this asks which index fits.
    await tx.query('set local enable_seqscan = off');
    const lines: string[] = [];
    const explaining = asTx({
      exec: (sql) => tx.exec(sql),
      query: async (sql, params) => {
        const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${sql}`, params);
        lines.push(...rows.map((row) => row['QUERY PLAN']));
        return { rows: [], rowCount: 0 };
      },
    }) satisfies Tx;
    await listDomainEvents(explaining, filters, { afterSeq: 0, limit: 101 });
    return lines.join('\n');
  });
}

describe('listDomainEvents', () => {
  it('reads an aggregate through domain_events_aggregate_idx, in index order without a sort', async () => {
    const plan = await planOf({ aggregateType: 'enrollment', aggregateId: randomUUID() });
    expect(plan).toContain('domain_events_aggregate_idx');
    expect(plan).not.toMatch(/\bSort\b/);
  });

  it('reads an event type through domain_events_event_type_idx, in index order without a sort', async () => {
    const plan = await planOf({ eventType: 'enrollment.cancelled' });
    expect(plan).toContain('domain_events_event_type_idx');
    expect(plan).not.toMatch(/\bSort\b/);
  });
});
