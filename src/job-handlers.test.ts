import { describe, expect, it } from 'vitest';
import { testKeyring } from '../test/auth.js';
import { createJobHandlers, eventSubscribers } from './job-handlers.js';
import { subscriptionsOf } from './platform/jobs/index.js';
import { createFieldCipher } from './platform/security/field-cipher.js';
import { testLogger } from '../test/logger.js';

// `unitrain doctor` learns what the relay queues from `eventSubscribers`, without the keys the handlers
// need; the workers' relay learns it from the handlers. Nothing here touches a database.
describe('the job handlers', () => {
  it('subscribe to exactly the events that eventSubscribers declares, with the same attempts and needed field', () => {
    const handlers = createJobHandlers({
      cipher: createFieldCipher(testKeyring), mail: { from: 'Unitrain <no-reply@unitrain.test>', outboxDir: 'never-written', smtpUrl: null },
      logger: testLogger,
    });
    const byHandlerAndType = (a: { handler: string; eventType: string }, b: { handler: string; eventType: string }) =>
      `${a.handler} ${a.eventType}`.localeCompare(`${b.handler} ${b.eventType}`);
    const declared = subscriptionsOf(eventSubscribers).sort(byHandlerAndType);
    expect(declared.length).toBeGreaterThan(0);
    expect(declared).toEqual(subscriptionsOf(handlers).sort(byHandlerAndType));
  });
});
