import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyDatabase, type TestDatabase } from '../test/database.js';
import { testEngine, testKeysEnv } from '../test/engine.js';
import { type ServerProcess, startServerProcess } from '../test/server-process.js';

// Real `unitrain serve` processes on an empty embedded data directory or an empty PostgreSQL database.
let dataDirs: string[] = [];
let database: TestDatabase | null = null;

beforeEach(() => {
  dataDirs = [];
});

afterEach(async () => {
  await database?.drop();
  database = null;
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'unitrain-first-start-'));
  dataDirs.push(dir);
  return dir;
}

const box = /\| +e-mail: +(\S+) +\|\n\| +password: +(\S+) +\|/

async function signIn(server: ServerProcess, email: string, password: string): Promise<number> {
  const response = await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return response.status;
}

describe('the first start of an empty database', () => {
  it.runIf(testEngine === 'pglite')('creates one SA, prints its one-time password once in a box on stdout, and nothing on the next start', async () => {
    const env = { DATA_DIR: await newDataDir(), INITIAL_ADMIN_EMAIL: 'root@example.org' };
    const first = await startServerProcess(env);
    let password: string;
    try {
      const printed = box.exec(first.logs());
      expect(printed?.[1]).toBe('root@example.org');
      password = printed?.[2] as string;
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(first.logs()).toContain('This password is shown only now.');
      // The box is the only place the password appears: no log line carries it.
      expect(first.logs().split('\n').filter((line) => line.includes(password))).toHaveLength(1);
      expect(await signIn(first, 'root@example.org', password)).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await startServerProcess(env);
    try {
      expect(second.logs()).not.toMatch(box);
      // Neither the password nor the notice (a job handler's name, password-reset-mail, may say "password").
      expect(second.logs()).not.toContain(password);
      expect(second.logs()).not.toContain('This password is shown only now.');
      expect(await signIn(second, 'root@example.org', password)).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it.runIf(testEngine === 'postgres')('creates exactly one SA when two servers start on the same empty database at once', async () => {
    database = await createEmptyDatabase();
    const env = async () => ({ DATA_DIR: await newDataDir(), DATABASE_URL: database?.url as string, ...testKeysEnv });
    const servers = await Promise.all([startServerProcess(await env(), ['--migrate']), startServerProcess(await env(), ['--migrate'])]);
    try {
      const printed = servers.map((server) => box.exec(server.logs())).filter((match) => match !== null);
      expect(printed).toHaveLength(1);
      expect(printed[0]?.[1]).toBe('admin@unitrain.local');
      const { rows } = await database.db.query<{ count: number }>(`select count(*)::int as count from users where role = 'SA'`);
      expect(rows[0]?.count).toBe(1);
      for (const server of servers) expect(await signIn(server, 'admin@unitrain.local', printed[0]?.[2] as string)).toBe(200);
    } finally {
      for (const server of servers) expect(await server.stop()).toBe(0);
    }
    const again = await startServerProcess(await env());
    try {
      expect(again.logs()).not.toMatch(box);
    } finally {
      await again.stop();
    }
  });
});
