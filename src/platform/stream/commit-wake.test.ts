import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createUser, mintAccessToken, testKeyring, testStreamSettings } from '../../../test/auth.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { openStream, type SseConnection } from '../../../test/sse-client.js';
import { appendDomainEvent } from '../shared/events/append-domain-event.js';
import { createWorker, type Dispatcher, eventOf, type JobHandler } from '../jobs/index.js';
import { testLogger } from '../../../test/logger.js';

// The change feed and a job worker that poll once an hour, and writes made through the Db outside any
// HTTP request, as `unitrain seed`, `unitrain user create` or a job do: only the Db's commit signal can
// bring them in before the poll. The worker is wired as `serve` wires it.
const anHour = 3_600_000;
const context = useListeningApp(true, { stream: { ...testStreamSettings, feedPollMs: anHour } });
const streams: SseConnection[] = [];
const workers: Dispatcher[] = [];

afterAll(async () => {
  for (const stream of streams) stream.close();
  await Promise.all(workers.map((worker) => worker.stop()));
});

/** Records the aggregate of each `probe.written` event it runs. */
function probeHandler(ran: string[]): JobHandler {
  return { name: 'test.probe', eventTypes: ['probe.written'], run: async (_tx, job) => void ran.push(eventOf(job).aggregate_id) };
}

function hourlyWorker(handlers: JobHandler[]): Dispatcher {
  const worker = createWorker(context.db, { worker: { inProcess: true, pollMs: anHour, leaseMs: 60_000 } }, handlers, testLogger);
  workers.push(worker);
  return worker;
}

describe('a commit through the Db outside HTTP', () => {
  it('reaches a stream subscriber at once, though the feed polls once an hour', async () => {
    const admin = await createUser(context.db, testKeyring, { role: 'SA' });
    const stream = await openStream(context.baseUrl, { token: await mintAccessToken(testKeyring, { userId: admin.id, role: 'SA' }), topics: 'locations' });
    streams.push(stream);
    expect(stream.status).toBe(200);

    const { rows: [location] } = await context.db.transaction((tx) =>
      tx.query<{ id: string }>("insert into locations (name, country) values ('Written by a command', 'GB') returning id"));
    await stream.waitUntil(() => stream.changes().some((event) => event.data['id'] === location!.id), 60_000, 'the location written outside HTTP');
  });

  it('wakes the job worker, which runs the job at once, though it polls once an hour', async () => {
    const ran: string[] = [];
    const worker = hourlyWorker([probeHandler(ran)]);
    context.app.realtime.signal.onSignal(() => worker.wake());
    worker.start();

    const aggregateId = randomUUID();
    await context.db.transaction((tx) => appendDomainEvent(tx, { aggregateType: 'probe', aggregateId, aggregateVersion: null, eventType: 'probe.written', payload: {} }));
    await vi.waitFor(() => expect(ran).toEqual([aggregateId]), { timeout: 60_000, interval: 20 });
  });

  it('never comes from an idle worker round: one that finds nothing commits no write, so it wakes nobody', async () => {
    const worker = hourlyWorker([probeHandler([])]);
    await worker.drain();
    // On a shared server, other tests' transactions hold xmin back and a round may still move the relay
    // position over events that ended meanwhile; an idle round comes soon after. A round that locked a
    // row (the relay's position FOR UPDATE) would signal every time, waking every worker and feed for ever.
    await vi.waitFor(async () => {
      let signals = 0;
      const stop = context.db.onCommit(() => signals++);
      await worker.runOnce();
      stop();
      expect(signals).toBe(0);
    }, { timeout: 30_000, interval: 50 });
  });
});
