import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { createCertificateWorld, type CertificateJson, type CertificateWorld } from '../../../test/world.js';
import type { PublicVerificationAnswer } from './certificates.repository.js';
import { createPublicAnswersReader } from './public-answers-reader.js';

// The reader batches the codes missed in one turn per UTC day (decision 0064), and the codes missed while a
// read is in flight after it (decision 0108): each caller must get its own code's facts as of its own day,
// and a day whose read fails must fail only its own callers.
const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

async function issued(): Promise<CertificateJson> {
  const { enrollmentId } = await world.student();
  return world.issue(world.tokens.instructor, enrollmentId);
}

const dayAfter = (day: string): string => {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
};

describe('the public answers reader', () => {
  it('answers each caller of one turn its own code as of its own day, and null for a code no certificate has', async () => {
    const [first, second] = [await issued(), await issued()];
    const expiry = String(first['expiry_date']);
    const read = createPublicAnswersReader(context.db);
    const [firstOnExpiry, secondOnExpiry, firstAfter, firstAgainAfter, unknown] = await Promise.all([
      read(first.verification_code, expiry),
      read(second.verification_code, expiry),
      read(first.verification_code, dayAfter(expiry)),
      read(first.verification_code, dayAfter(expiry)),
      read('ZZZZ-ZZZZ-ZZZZ-ZZZZ', expiry),
    ]);
    // The answer as the route sends it, its count at 0.
    const answer = (read: PublicVerificationAnswer | null) => JSON.parse(`${read?.before_count}0}`) as unknown;
    expect(answer(firstOnExpiry)).toMatchObject({ verification_code: first.verification_code, status: 'ACTIVE', expiry_date: expiry });
    expect(answer(secondOnExpiry)).toMatchObject({ verification_code: second.verification_code, status: 'ACTIVE' });
    expect(answer(firstAfter)).toMatchObject({ verification_code: first.verification_code, status: 'EXPIRED', expiry_date: expiry });
    expect(firstAfter).toMatchObject({ verification_code: first.verification_code, id: first.id, verification_count: 0 });
    expect(firstAgainAfter).toEqual(firstAfter);
    expect(unknown).toBeNull();
  });

  it('fails the callers of a day whose read fails, answers those of another day read in the same turn, and reads again after', async () => {
    const certificate = await issued();
    const read = createPublicAnswersReader(context.db);
    const today = new Date().toISOString().slice(0, 10);
    // Not a date: PostgreSQL refuses the read of this "day" alone.
    const [refused, alsoRefused, answered] = await Promise.allSettled([
      read(certificate.verification_code, '2026-13-45'),
      read('ZZZZ-ZZZZ-ZZZZ-ZZZZ', '2026-13-45'),
      read(certificate.verification_code, today),
    ]);
    expect(refused.status).toBe('rejected');
    expect(alsoRefused.status).toBe('rejected');
    expect(answered).toMatchObject({ status: 'fulfilled', value: { verification_code: certificate.verification_code } });
    expect(await read(certificate.verification_code, today)).toMatchObject({ verification_code: certificate.verification_code });
  });

  it('reads the codes missed while a read is in flight together, once it has ended', async () => {
    const [first, second, third] = [await issued(), await issued(), await issued()];
    const today = new Date().toISOString().slice(0, 10);
    const statements: unknown[] = [];
    // The first statement is held until the later codes have been missed, whatever the engine's speed.
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const read = createPublicAnswersReader({
      query: async (sql, params) => {
        statements.push(params?.[0]);
        if (statements.length === 1) await held;
        return context.db.query(sql, params);
      },
      exec: (sql) => context.db.exec(sql),
    });
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const reads = [read(first.verification_code, today)];
    await nextTurn();
    // The first code's read is in flight; these two are missed in two later turns.
    reads.push(read(second.verification_code, today));
    await nextTurn();
    reads.push(read(third.verification_code, today));
    await nextTurn();
    expect(statements).toEqual([[first.verification_code]]);
    release();
    const answers = await Promise.all(reads);
    expect(answers.map((answer) => answer?.verification_code)).toEqual([first, second, third].map((certificate) => certificate.verification_code));
    expect(statements).toEqual([[first.verification_code], [second.verification_code, third.verification_code]]);
  });

  it('reads at most its limit of codes in one statement, and the rest in the next', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const statements: unknown[] = [];
    const read = createPublicAnswersReader({
      query: (sql, params) => {
        statements.push(params?.[0]);
        return context.db.query(sql, params);
      },
      exec: (sql) => context.db.exec(sql),
    }, { maxCodesPerRead: 2, slowReadMs: 60_000 });
    const codes = ['AAAA-AAAA-AAAA-AAAA', 'BBBB-BBBB-BBBB-BBBB', 'CCCC-CCCC-CCCC-CCCC', 'DDDD-DDDD-DDDD-DDDD', 'EEEE-EEEE-EEEE-EEEE'];
    expect(await Promise.all(codes.map((code) => read(code, today)))).toEqual([null, null, null, null, null]);
    expect(statements).toEqual([codes.slice(0, 2), codes.slice(2, 4), codes.slice(4)]);
  });

  describe('with a read that never ends', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('reads the codes missed after it once it has been in flight for the slow-read time, and leaves its own callers waiting', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const certificate = await issued();
      const today = new Date().toISOString().slice(0, 10);
      const statements: unknown[] = [];
      const read = createPublicAnswersReader({
        query: (sql, params) => {
          statements.push(params?.[0]);
          // The first statement hangs, as on a half-open connection.
          return statements.length === 1 ? new Promise(() => {}) : context.db.query(sql, params);
        },
        exec: (sql) => context.db.exec(sql),
      }, { maxCodesPerRead: 500, slowReadMs: 2_000 });
      let hungAnswered = false;
      void read('ZZZZ-ZZZZ-ZZZZ-ZZZZ', today).then(() => (hungAnswered = true));
      const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
      await nextTurn();
      const later = read(certificate.verification_code, today);
      await nextTurn();
      await nextTurn();
      // Held back while the hung read is young.
      expect(statements).toEqual([['ZZZZ-ZZZZ-ZZZZ-ZZZZ']]);
      vi.advanceTimersByTime(2_000);
      expect(await later).toMatchObject({ verification_code: certificate.verification_code });
      expect(statements).toEqual([['ZZZZ-ZZZZ-ZZZZ-ZZZZ'], [certificate.verification_code]]);
      expect(hungAnswered).toBe(false);
    });
  });
});
