import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { testStreamSettings } from '../../../test/auth.js';
import { createEnrollmentWorld, createSession } from '../../../test/world.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { readMetric } from '../../../test/metrics.js';
import { openStream } from '../../../test/sse-client.js';
import { testEngine } from '../../../test/engine.js';

// A server whose streams have a small buffer and frequent heartbeats, to see both bounds act.
const context = useListeningApp(true, { stream: { ...testStreamSettings, heartbeatMs: 200, bufferBytes: 16_384 } });

describe('stream bounds', () => {
  it('sends heartbeats carrying the stream position while nothing changes', async () => {
    const world = await createEnrollmentWorld(context.db);
    const stream = await openStream(context.baseUrl, { token: world.tokens.sa, topics: 'sessions' });
    await stream.waitUntil(() => stream.events.filter((event) => event.event === 'heartbeat').length >= 2, 5_000, 'two heartbeats');
    const heartbeat = stream.events.find((event) => event.event === 'heartbeat')!;
    expect(heartbeat.id).toMatch(/^\d+\.\d+$/);
    expect(Date.parse(heartbeat.data['at'] as string)).not.toBeNaN();
    stream.close();
  });

  // Socket buffers are a property of the machine, not the engine: the volume that fills them is written
  // quickly only on PostgreSQL.
  it.skipIf(testEngine !== 'postgres')('drops a subscriber that stops reading, while another one gets every change', async () => {
    const world = await createEnrollmentWorld(context.db);
    const fast = await openStream(context.baseUrl, { token: world.tokens.sa, topics: 'sessions' });
    // A client that reads the response head and then nothing: the socket buffers fill, then the server's.
    const slow = request(`${context.baseUrl}/v1/stream?topics=sessions`, { headers: { authorization: `Bearer ${world.tokens.sa}` } }, (response) => {
      response.pause();
    });
    slow.on('error', () => undefined);
    slow.end();
    const session = await createSession(context.db, world, { capacity: 5 });
    await fast.waitUntil(() => fast.changes().some((event) => event.data['id'] === session));
    expect(await readMetric(context.baseUrl, 'unitrain_stream_subscribers')).toBe(2);

    // ~50,000 events of ~250 bytes: several times what loopback socket buffers hold.
    const { rows: sessions } = await context.db.query<{ id: string }>(
      `insert into training_sessions (title, course_id, instructor_id, location_id, provider_id, session_date, start_time, end_time, max_capacity)
       select 'Bulk ' || n, $1, $2, $3, $4, date '2041-06-01' + n, '09:00', '10:00', 10 from generate_series(1, 5000) as n returning id`,
      [world.courseId, world.instructor.id, world.locationId, world.providerId],
    );
    const rounds = 9;
    for (let round = 1; round <= rounds; round += 1) {
      await context.db.query("update training_sessions set title = 'Bulk round ' || $2 where id = any ($1::uuid[])", [sessions.map((row) => row.id), round]);
    }
    const expected = 1 + sessions.length * (rounds + 1);
    await fast.waitUntil(() => fast.changes().length >= expected, 60_000, `${expected} changes`);
    expect(fast.changes()).toHaveLength(expected);
    expect(await readMetric(context.baseUrl, 'unitrain_stream_slow_consumers_dropped_total')).toBe(1);
    expect(await readMetric(context.baseUrl, 'unitrain_stream_subscribers')).toBe(1);
    slow.destroy();
    fast.close();
  });
});
