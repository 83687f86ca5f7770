// Times POST /v1/auth/password-reset for addresses with and without an account, interleaved, on an
// in-memory embedded database (decision 0026): `npx tsx scripts/measure-password-reset-timing.ts`.
import { randomUUID } from 'node:crypto';
import { openPgliteDatabase } from '../src/platform/db/pglite-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { buildTestApp, createUser, testKeyring } from '../test/auth.js';

const db = await openPgliteDatabase({ kind: 'memory' }, createQueryLog(null, 0));
await migrateUp(db);
const app = await buildTestApp(db);
const known = await Promise.all(Array.from({ length: 400 }, () => createUser(db, testKeyring, { role: 'IT' })));
const times = { known: [] as number[], unknown: [] as number[] };
let client = 0;
async function once(kind: 'known' | 'unknown', index: number) {
  const email = kind === 'known' ? known[index]!.email : `nobody-${randomUUID()}@example.test`;
  const started = process.hrtime.bigint();
  const response = await app.inject({ method: 'POST', url: '/v1/auth/password-reset', remoteAddress: `10.1.${Math.floor(++client / 250)}.${client % 250}`, payload: { email } });
  times[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
  if (response.statusCode !== 202) throw new Error(response.body);
}
for (let i = 0; i < 50; i++) { await once('known', i); await once('unknown', i); }
times.known = []; times.unknown = [];
for (let i = 50; i < 400; i++) { await once('known', i); await once('unknown', i); }
const stats = (values: number[]) => { const s = [...values].sort((a, b) => a - b); const q = (p: number) => s[Math.floor(p * (s.length - 1))]!.toFixed(2); return `n=${s.length} p50=${q(0.5)} ms p90=${q(0.9)} ms p99=${q(0.99)} ms mean=${(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2)} ms`; };
console.log(`known   ${stats(times.known)}`);
console.log(`unknown ${stats(times.unknown)}`);
await app.close();
await db.close();
