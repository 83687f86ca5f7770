import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { AppError, errorStatus } from '../../errors.js';
import { registerErrorHandling } from '../http/error-handler.js';
import type { Actor } from './actor.js';
import type { Tx, WriteOptions } from './database.js';

// The retry of a whole transaction that PostgreSQL aborted as a deadlock (40P01) or serialization failure
// (40001): an option of Db.withActor. The aborts are raised by the database itself, with the SQLSTATE a
// real deadlock has, so the error goes the way a real one goes: driver, error mapping, retry, HTTP answer.
let database: TestDatabase;
let app: FastifyInstance;
const actor: Actor = { userId: randomUUID(), role: 'SA', providerId: null };

/** Writes a location named `name`, then fails as a deadlock while `deadlocks()` says so. */
async function writeThenMaybeDeadlock(tx: Tx, name: string, deadlocks: () => boolean): Promise<string> {
  await tx.query(`insert into locations (name, country) values ($1, 'GB')`, [name]);
  if (deadlocks()) await tx.query(`do $$ begin raise exception 'deadlock detected' using errcode = '40P01'; end $$`);
  return name;
}

const locationsNamed = async (name: string) =>
  Number((await database.db.query<{ count: string }>('select count(*)::text as count from locations where name = $1', [name])).rows[0]?.count);

let attemptsMade = 0;

beforeAll(async () => {
  database = await createMigratedDatabase();
  app = Fastify();
  registerErrorHandling(app);
  // A write that races by design and asks for three attempts, deadlocking every time.
  app.post('/always-deadlocked', async () => {
    const name = `Deadlocked ${randomUUID()}`;
    return database.db.withActor(actor, (tx) => {
      attemptsMade += 1;
      return writeThenMaybeDeadlock(tx, name, () => true);
    }, { serializationAttempts: 3 });
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await database.drop();
});

describe('Db.withActor with serializationAttempts', () => {
  it('answers a deadlock that outlasts its attempts as the error table says (503 SERIALIZATION_FAILURE), having run it that many times', async () => {
    attemptsMade = 0;
    const response = await app.inject({ method: 'POST', url: '/always-deadlocked' });
    expect(errorStatus.SERIALIZATION_FAILURE).toBe(503);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'SERIALIZATION_FAILURE' } });
    expect(attemptsMade).toBe(3);
  });

  it('runs the whole transaction again after a deadlock: the write of the aborted attempt is gone, the retry’s commits once', async () => {
    const name = `Retried ${randomUUID()}`;
    let attempt = 0;
    const written = await database.db.withActor(actor, (tx) => {
      attempt += 1;
      return writeThenMaybeDeadlock(tx, name, () => attempt === 1);
    }, { serializationAttempts: 2 });
    expect(written).toBe(name);
    expect(attempt).toBe(2);
    expect(await locationsNamed(name)).toBe(1);
  });

  it('retries nothing unless asked, and never an error other than a deadlock or serialization failure', async () => {
    const name = `Once ${randomUUID()}`;
    let attempts = 0;
    const run = (options?: WriteOptions) => database.db.withActor(actor, (tx) => {
      attempts += 1;
      return writeThenMaybeDeadlock(tx, name, () => true);
    }, options);
    // The database's own error, which the HTTP layer answers 503 as above.
    await expect(run()).rejects.toMatchObject({ code: '40P01' });
    expect(attempts).toBe(1);

    attempts = 0;
    const failing = database.db.withActor(actor, async (tx) => {
      attempts += 1;
      await tx.query(`insert into locations (name, country) values ($1, 'GB')`, [name]);
      throw new AppError('CONFLICT', 'not a deadlock');
    }, { serializationAttempts: 3 });
    await expect(failing).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(attempts).toBe(1);
    expect(await locationsNamed(name)).toBe(0);
  });
});
