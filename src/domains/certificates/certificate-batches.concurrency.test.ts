import { beforeAll, describe, expect, it } from 'vitest';
import { testKeyring } from '../../../test/auth.js';
import { testEngine } from '../../../test/engine.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { createFieldCipher } from '../../platform/security/field-cipher.js';
import { createLogger } from '../../platform/shared/logger.js';
import { createWorker } from '../../platform/jobs/index.js';
import { certificateHandlers } from './certificates.handlers.js';
import { createCertificateWorld, type CertificateWorld } from '../../../test/world.js';

// Real concurrency needs real PostgreSQL: a batch's chunks (each one INSERT ... ON CONFLICT DO NOTHING for
// 10 lines) run on one connection while single issues for the same lines run on others.
const onPostgres = testEngine === 'postgres';
const server = useListeningApp(onPostgres);
let world: CertificateWorld;

beforeAll(async () => {
  if (onPostgres) world = await createCertificateWorld(server.db, () => server.app);
});

describe('a batch racing single issues', () => {
  it.runIf(onPostgres)('leaves one live certificate per roster line, and every result names it', async () => {
    const roster = (await server.call('POST', '/v1/rosters', world.tokens.sa, {
      name: 'Race batch', course_id: world.courseId, location_id: world.locationId, provider_id: world.providerId, instructor_name: 'Someone', roster_type: 'CERTIFICATE',
    })).json as { id: string };
    const lines: string[] = [];
    for (let index = 0; index < 60; index++) {
      const line = (await server.call('POST', `/v1/rosters/${roster.id}/members`, world.tokens.sa, { first_name: 'Racer', last_name: `Number ${index}`, completion_status: 'COMPLETED' })).json as { id: string };
      lines.push(line.id);
    }
    const logger = createLogger({ logLevel: 'warn', logFormat: 'json' }, { write: () => undefined });
    const handlers = certificateHandlers({
      cipher: createFieldCipher(testKeyring), logger, publicUrl: 'https://certs.example', batchChunkSize: 10,
      mail: { from: 'Unitrain <no-reply@unitrain.test>', outboxDir: '/nonexistent/outbox', smtpUrl: null },
    }).filter((handler) => handler.name === 'certificates.batch-chunk');
    const worker = createWorker(server.db, { worker: { inProcess: false, pollMs: 5, leaseMs: 60_000 } }, handlers, logger);

    const batch = (await server.call('POST', '/v1/certificate-batches', world.tokens.sa, { roster_id: roster.id })).json as { id: string };
    const [singles] = await Promise.all([
      Promise.all(lines.map((line) => server.call('POST', '/v1/certificates', world.tokens.sa, { roster_member_id: line }))),
      worker.drain(),
    ]);
    expect(singles.every((answer) => answer.status === 200 || answer.status === 201)).toBe(true);

    const { rows: live } = await server.db.query<{ roster_member_id: string; n: number }>(
      `select roster_member_id, count(*)::integer as n from certificates where roster_id = $1 and status <> 'REVOKED' group by roster_member_id`, [roster.id]);
    expect(live).toHaveLength(60);
    expect(live.every((row) => row.n === 1)).toBe(true);
    const { rows: results } = await server.db.query<{ outcome: string; same: boolean }>(
      `select r.outcome, r.certificate_id = c.id as same
         from certificate_batch_results r join certificates c on c.roster_member_id = r.roster_member_id and c.status <> 'REVOKED'
        where r.batch_id = $1`, [batch.id]);
    expect(results).toHaveLength(60);
    expect(results.every((row) => ['ISSUED', 'ALREADY_ISSUED'].includes(row.outcome) && row.same)).toBe(true);
    // Each single answered the line's one certificate.
    const byLine = new Map(singles.map((answer, index) => [lines[index], (answer.json as { id: string }).id]));
    const { rows: ids } = await server.db.query<{ roster_member_id: string; id: string }>(`select roster_member_id, id from certificates where roster_id = $1`, [roster.id]);
    expect(ids.every((row) => byLine.get(row.roster_member_id) === row.id)).toBe(true);
    const { rows: [counted] } = await server.db.query<{ certificate_count: number; processed_count: number }>(
      'select r.certificate_count, b.processed_count from rosters r, certificate_batches b where r.id = $1 and b.id = $2', [roster.id, batch.id]);
    expect(counted).toEqual({ certificate_count: 60, processed_count: 60 });
  });
});
