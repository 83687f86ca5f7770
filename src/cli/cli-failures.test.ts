import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runCli } from '../../test/cli.js';
import { databaseUrl, testEngine, testKeysEnv } from '../../test/engine.js';
import { type PrivateCluster, privateClusterUnavailable, startPrivateCluster } from '../../test/private-postgres.js';
import { createProgram } from './program.js';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'unitrain-cli-failures-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** The program as `unitrain` builds it, in process: what it prints and how it would exit. */
async function runInProcess(args: string[]): Promise<{ out: string; err: string; exit: CommanderError | null }> {
  let out = '';
  let err = '';
  const unused = () => {
    throw new Error('no command here needs the configuration');
  };
  const program = (await createProgram({ config: unused, logger: unused }, ['node', 'unitrain', ...args]))
    .exitOverride()
    .configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (err += text) });
  try {
    await program.parseAsync(['node', 'unitrain', ...args]);
    return { out, err, exit: null };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { out, err, exit: error };
  }
}

/** One `error: …` line on stderr, exit code 1, nothing that looks like a stack trace. */
function expectOneLineFailure(result: { code: number | null; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('the command line', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await runInProcess(['--version']);
    expect(result.exit?.code).toBe('commander.version');
    expect(result.out.trim()).toBe(version);
  });

  it('reports an unknown command as one, instead of as an argument to serve', async () => {
    const result = await runInProcess(['frobnicate']);
    expect(result.exit).toMatchObject({ code: 'commander.unknownCommand', exitCode: 1 });
    expect(result.err).toMatch(/^error: unknown command 'frobnicate'/);
    expect(result.err).not.toContain('too many arguments');
  });

  it('`jobs ls` on a database that was never migrated says so in one line', async () => {
    // A fresh embedded data directory, or an empty PostgreSQL database nobody migrated.
    const env: Record<string, string> = { DATA_DIR: join(workDir, 'unmigrated') };
    if (testEngine === 'postgres') {
      const name = `unitrain_unmigrated_${process.pid}_${Date.now()}`;
      await runSql(`create database ${name}`);
      Object.assign(env, testKeysEnv, { DATABASE_URL: databaseUrl(name) });
      try {
        expectOneLineFailure(await runCli(['jobs', 'ls'], env), /relation "jobs" does not exist: the database is not migrated; run `unitrain migrate up`/);
      } finally {
        await runSql(`drop database ${name}`);
      }
      return;
    }
    expectOneLineFailure(await runCli(['jobs', 'ls'], env), /the database is not migrated; run `unitrain migrate up`/);
  });

  it.runIf(testEngine === 'postgres')('`migrate up` on a database that does not exist says so in one line', async () => {
    const result = await runCli(['migrate', 'up'], { ...testKeysEnv, DATA_DIR: join(workDir, 'missing'), DATABASE_URL: databaseUrl(`unitrain_missing_${process.pid}`) });
    expectOneLineFailure(result, /database "unitrain_missing_\d+" does not exist: create it first \(see the README, "On a PostgreSQL server"\)/);
  });
});

async function runSql(sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const skipReason = testEngine !== 'postgres' ? 'runs in the PostgreSQL suite (DATABASE_URL set)' : privateClusterUnavailable;

describe.skipIf(skipReason !== null)('a worker started while PostgreSQL is down', () => {
  let cluster: PrivateCluster;
  let url: string;
  beforeAll(async () => {
    cluster = await startPrivateCluster();
    url = await cluster.createDatabase('unitrain');
    const migrated = await runCli(['migrate', 'up'], { ...testKeysEnv, DATA_DIR: join(workDir, 'worker'), DATABASE_URL: url });
    expect(migrated.code).toBe(0);
  });
  afterAll(async () => {
    await cluster?.remove();
  });

  it('waits with backoff, starts when the database is back, and stops cleanly', async () => {
    await cluster.stop();
    const child = spawn(process.execPath, [cliPath, 'worker'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...testKeysEnv, DATA_DIR: join(workDir, 'worker'), DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null]>;
    let stdout = '';
    let stderr = '';
    const seen: { pattern: RegExp; resolve: () => void }[] = [];
    const waitFor = (pattern: RegExp) => new Promise<void>((resolve) => {
      if (pattern.test(stdout)) resolve();
      else seen.push({ pattern, resolve });
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const waiter of seen) if (waiter.pattern.test(stdout)) waiter.resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await Promise.race([waitFor(/the database is not available; the worker starts once it is/), exited.then(() => Promise.reject(new Error(`worker exited:\n${stdout}${stderr}`)))]);
      expect(stdout).not.toContain('job dispatcher started');
      await cluster.start();
      await Promise.race([waitFor(/job dispatcher started/), exited.then(() => Promise.reject(new Error(`worker exited:\n${stdout}${stderr}`)))]);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('worker stopped');
  });
});
