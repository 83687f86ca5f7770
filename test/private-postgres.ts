import { execFile, spawnSync } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { until } from './until.js';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster of one test file's own, on a free loopback port, for what the shared
 * test server must not suffer (a restart). PostgreSQL refuses to run as root: as root, its commands
 * run as the `postgres` OS user through runuser.
 */
export interface PrivateCluster {
  /** A URL of `database` on this cluster, as the superuser. */
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when this resolves. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`: the server is down (connections refused) until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  remove(): Promise<void>;
}

interface Tools {
  bindir: string;
  /** The command prefix that runs a PostgreSQL program as a user it accepts. */
  asServerUser: string[];
  uid: number | null;
  gid: number | null;
}

function findTools(): Tools | string {
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status !== 0) return 'pg_config is not installed';
  const bindir = config.stdout.trim();
  const asRoot = process.getuid?.() === 0;
  let uid: number | null = null;
  let gid: number | null = null;
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const groups = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (ids.status !== 0 || groups.status !== 0) return 'running as root and there is no postgres OS user to run initdb as';
    uid = Number(ids.stdout.trim());
    gid = Number(groups.stdout.trim());
  }
  const asServerUser = asRoot ? ['runuser', '-u', 'postgres', '--'] : [];
  const [command, ...args] = [...asServerUser, join(bindir, 'initdb'), '--version'];
  const check = spawnSync(command as string, args, { encoding: 'utf8' });
  if (check.status !== 0) return `cannot run ${join(bindir, 'initdb')}${asRoot ? ' as the postgres user' : ''}: ${check.stderr.trim() || check.error?.message}`;
  return { bindir, asServerUser, uid, gid };
}

const tools = findTools();

/** Why a private cluster cannot be made here, or null when it can. */
export const privateClusterUnavailable: string | null = typeof tools === 'string' ? tools : null;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `settings`: server settings the shared server does not have (`max_prepared_transactions`, say), as `-c name=value`. */
export async function startPrivateCluster(settings: Readonly<Record<string, string>> = {}): Promise<PrivateCluster> {
  if (typeof tools === 'string') throw new Error(`no private PostgreSQL cluster: ${tools}`);
  const dir = await mkdtemp(join(tmpdir(), 'unitrain-cluster-'));
  if (tools.uid !== null && tools.gid !== null) await chown(dir, tools.uid, tools.gid);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const extraOptions = Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`).join('');
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off${extraOptions}`;
  const program = (name: string, args: string[]) => {
    const [command, ...rest] = [...tools.asServerUser, join(tools.bindir, name), ...args];
    return run(command as string, rest, { timeout: 60_000 });
  };
  const pgCtl = (args: string[]) => program('pg_ctl', ['-D', dataDir, '-w', '-l', join(dir, 'server.log'), ...args]);
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;

  await program('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions']);
  await pgCtl(['-o', serverOptions, 'start']);
  let running = true;
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`create database ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async restart() {
      await pgCtl(['-m', 'fast', '-o', serverOptions, 'restart']);
    },
    async stop() {
      await pgCtl(['-m', 'fast', 'stop']);
      running = false;
    },
    async start() {
      await pgCtl(['-o', serverOptions, 'start']);
      running = true;
    },
    async remove() {
      if (running) await pgCtl(['-m', 'immediate', 'stop']).catch(() => undefined);
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A hot standby of the shared test server, streaming from it (decision 0046's tests). */
export interface StreamingReplica {
  /** A URL of `database` on the replica, as the superuser. */
  url(database: string): string;
  /** pg_wal_replay_pause(): the replica keeps receiving WAL and stops applying it. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Resolves once the replica has replayed everything the primary had written when it was called. */
  catchUp(): Promise<void>;
  /** `pg_ctl stop -m fast`: the replica is gone (connections cut, then refused). */
  stop(): Promise<void>;
  /** Whether the replica's server is running (not yet stopped or removed). */
  readonly running: boolean;
  /** Stops the replica and removes its directory. */
  remove(): Promise<void>;
}

async function queryOnce<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Settings a hot standby must hold at least at the primary's values, or it refuses to start. */
const standbyMinimums = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];

/**
 * A streaming replica of the server at `primaryUrl` (the shared test server): `pg_basebackup -R` into a
 * temporary directory, started on a free loopback port. The server must accept replication connections
 * from 127.0.0.1 (`.ci/allow-local-replication` adds the pg_hba.conf line and reloads). A base backup
 * copies the whole cluster, so a test file starts one replica at most, in `beforeAll`.
 */
export async function startStreamingReplica(primaryUrl: string): Promise<StreamingReplica> {
  if (typeof tools === 'string') throw new Error(`no streaming replica: ${tools}`);
  const primary = new URL(primaryUrl);
  const dir = await mkdtemp(join(tmpdir(), 'unitrain-replica-'));
  if (tools.uid !== null && tools.gid !== null) await chown(dir, tools.uid, tools.gid);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const program = (name: string, args: string[]) => {
    const [command, ...rest] = [...tools.asServerUser, join(tools.bindir, name), ...args];
    return run(command as string, rest, { timeout: 120_000 });
  };
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const primaryAdmin = (() => {
    const admin = new URL(primaryUrl);
    admin.pathname = '/postgres';
    return admin.toString();
  })();

  try {
    await program('pg_basebackup', [
      '-h', primary.hostname, '-p', primary.port || '5432', '-U', decodeURIComponent(primary.username || 'postgres'),
      '-D', dataDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync',
    ]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
    throw new Error(`pg_basebackup from ${primary.host} failed (does pg_hba.conf allow replication from 127.0.0.1? .ci/allow-local-replication adds it): ${stderr.trim()}`, { cause: error });
  }
  // Debian keeps the server's configuration outside its data directory: the copy has none of its own.
  const files: Array<[string, string]> = [
    ['postgresql.conf', ''],
    ['pg_hba.conf', 'local all all trust\nhost all all 127.0.0.1/32 trust\n'],
    ['pg_ident.conf', ''],
  ];
  for (const [name, text] of files) {
    await writeFile(join(dataDir, name), text, { mode: 0o600 });
    if (tools.uid !== null && tools.gid !== null) await chown(join(dataDir, name), tools.uid, tools.gid);
  }
  const minimums = await queryOnce<{ name: string; setting: string }>(
    primaryAdmin,
    'select name, setting from pg_settings where name = any($1::text[])',
    [standbyMinimums],
  );
  const serverOptions = [
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c hot_standby=on -c fsync=off -c shared_buffers=16MB`,
    ...minimums.map(({ name, setting }) => `-c ${name}=${setting}`),
  ].join(' ');
  const pgCtl = (args: string[]) => program('pg_ctl', ['-D', dataDir, '-w', '-l', join(dir, 'server.log'), ...args]);
  await pgCtl(['-o', serverOptions, 'start']);
  let running = true;
  const replicaAdmin = url('postgres');
  return {
    url,
    get running() {
      return running;
    },
    async pauseReplay() {
      await queryOnce(replicaAdmin, 'select pg_wal_replay_pause()');
    },
    async resumeReplay() {
      await queryOnce(replicaAdmin, 'select pg_wal_replay_resume()');
    },
    async catchUp() {
      const [written] = await queryOnce<{ position: string }>(primaryAdmin, 'select pg_current_wal_lsn()::text as position');
      await until(async () => {
        const [replayed] = await queryOnce<{ caught_up: boolean }>(
          replicaAdmin,
          'select pg_last_wal_replay_lsn() >= $1::pg_lsn as caught_up',
          [written?.position],
        );
        return replayed?.caught_up === true;
      }, 'the replica to replay the primary\'s WAL');
    },
    async stop() {
      await pgCtl(['-m', 'fast', 'stop']);
      running = false;
    },
    async remove() {
      if (running) await pgCtl(['-m', 'immediate', 'stop']).catch(() => undefined);
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
