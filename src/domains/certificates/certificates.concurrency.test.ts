import { beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../../../test/engine.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { createCertificateWorld, type CertificateWorld } from '../../../test/world.js';

// Real concurrency needs real PostgreSQL (PGlite has one connection): requests in flight together on a
// pool of connections, each rendering its PDF and racing to insert the source's one live certificate.
const onPostgres = testEngine === 'postgres';
const server = useListeningApp(onPostgres);
let world: CertificateWorld;

beforeAll(async () => {
  if (onPostgres) world = await createCertificateWorld(server.db, () => server.app);
});

describe('issuing under concurrency', () => {
  it.runIf(onPostgres)('makes one certificate of 20 concurrent requests for one enrollment, and every request answers it', async () => {
    const { enrollmentId } = await world.student();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => server.call('POST', '/v1/certificates', world.tokens.ap, { enrollment_id: enrollmentId })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array<number>(19).fill(200), 201]);
    expect(new Set(answers.map((answer) => answer.json['id'])).size).toBe(1);
    const { rows } = await server.db.query<{ n: number; events: number }>(
      `select count(*)::integer as n,
              (select count(*)::integer from domain_events e where e.aggregate_type = 'certificate' and e.aggregate_id = any (array_agg(c.id))) as events
         from certificates c where c.enrollment_id = $1`,
      [enrollmentId],
    );
    expect(rows).toEqual([{ n: 1, events: 1 }]);
  });

  it.runIf(onPostgres)('makes one certificate of 20 concurrent requests for one roster line, and counts it once', async () => {
    const roster = (await server.call('POST', '/v1/rosters', world.tokens.sa, {
      name: 'Race', course_id: world.courseId, location_id: world.locationId, provider_id: world.providerId, instructor_name: 'Someone', roster_type: 'CERTIFICATE',
    })).json as { id: string };
    const line = (await server.call('POST', `/v1/rosters/${roster.id}/members`, world.tokens.sa, { first_name: 'Race', last_name: 'Winner', completion_status: 'COMPLETED' })).json as { id: string };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => server.call('POST', '/v1/certificates', world.tokens.sa, { roster_member_id: line.id })),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.json['id'])).size).toBe(1);
    const { rows } = await server.db.query<{ certificate_count: number }>('select certificate_count from rosters where id = $1', [roster.id]);
    expect(rows).toEqual([{ certificate_count: 1 }]);
  });
});
