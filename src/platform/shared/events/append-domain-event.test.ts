import { describe, expect, it } from 'vitest';
import { createUser, testKeyring } from '../../../../test/auth.js';
import { useTestApp } from '../../../../test/test-app.js';
import { appendDomainEvent } from './append-domain-event.js';

const context = useTestApp();

describe('appendDomainEvent', () => {
  it('appends inside the actor transaction, stamped with its user and request id, and vanishes with a rollback', async () => {
    const { db } = context;
    const instructor = await createUser(db, testKeyring, { role: 'IC' });
    const actor = { userId: instructor.id, role: 'IC' as const, providerId: null, requestId: 'req-append-1' };
    const aggregateId = '00000000-0000-4000-8000-000000000001';
    await db.withActor(actor, (tx) =>
      appendDomainEvent(tx, { aggregateType: 'session', aggregateId, aggregateVersion: 3, eventType: 'session.started', payload: { a: 1 } }),
    );
    await expect(
      db.withActor(actor, async (tx) => {
        await appendDomainEvent(tx, { aggregateType: 'session', aggregateId, aggregateVersion: 4, eventType: 'session.completed', payload: {} });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const { rows } = await db.query(
      'select aggregate_type, aggregate_version, event_type, payload, actor_id, request_id from domain_events where aggregate_id = $1',
      [aggregateId],
    );
    expect(rows).toEqual([
      { aggregate_type: 'session', aggregate_version: 3, event_type: 'session.started', payload: { a: 1 }, actor_id: instructor.id, request_id: 'req-append-1' },
    ]);
  });
});
