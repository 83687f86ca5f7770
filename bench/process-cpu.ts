import { readFile } from 'node:fs/promises';
import pg from 'pg';

const ticksPerSecond = 100;

/** CPU seconds (user + system) each of `pids` has used so far (the processes still running); Linux only. */
export async function cpuSecondsOf(pids: readonly number[]): Promise<Map<number, number>> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted from the state field (3).
    seconds.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
  }
  return seconds;
}

/** The CPU seconds used between two readings; a process first seen in `after` started in between. */
export function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** The PostgreSQL backends connected to `databaseUrl`'s database (a server's pool), the caller's own excepted. */
export async function backendsOf(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/** A server process under load, and its database on a PostgreSQL server (null: the embedded engine, in the process). */
export interface ServerProcesses {
  server: number;
  databaseUrl: string | null;
}

/**
 * The CPU milliseconds each of `work`'s `requests` cost the server process and the PostgreSQL backends on
 * its database: a cost that a busy machine changes much less than it changes the rate. Backends the pool
 * opened during `work` count from their start.
 */
export async function cpuMsPerRequest<T extends { requests: number }>(processes: ServerProcesses, work: () => Promise<T>): Promise<T & { cpuMs: { server: number; postgres: number } }> {
  const reading = async () => ({
    postgres: processes.databaseUrl === null ? new Map<number, number>() : await cpuSecondsOf(await backendsOf(processes.databaseUrl)),
    server: await cpuSecondsOf([processes.server]),
  });
  const before = await reading();
  const result = await work();
  const after = await reading();
  const perRequest = (seconds: number) => Number(((seconds * 1000) / result.requests).toFixed(3));
  return { ...result, cpuMs: { server: perRequest(cpuSecondsBetween(before.server, after.server)), postgres: perRequest(cpuSecondsBetween(before.postgres, after.postgres)) } };
}

/** The application_name of a benchmark's own connections, which `backendCpuWhile` leaves out. */
export const controlApplicationName = 'unitrain-bench-control';

/**
 * The CPU seconds the PostgreSQL backends connected to `url`'s database used while `work` ran, the
 * sampler's own excepted: sampled every `everyMs`, so that backends which connect and leave during
 * `work` (pgbench's, a pool's) are counted too, each from its first sample (or from its start, if it
 * connected meanwhile) to its last; what a backend used after its last sample is lost (at most `everyMs`).
 */
export async function backendCpuWhile<T>(url: string, work: () => Promise<T>, everyMs = 200): Promise<{ result: T; cpuSeconds: number }> {
  // Connections named `controlApplicationName` (a benchmark's own polling) are not counted either.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async (initial: boolean) => {
    const { rows } = await client.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name <> $1`,
      [controlApplicationName],
    );
    for (const [pid, seconds] of await cpuSecondsOf(rows.map((row) => row.pid))) {
      if (!first.has(pid)) first.set(pid, initial ? seconds : 0);
      last.set(pid, seconds);
    }
  };
  try {
    await sample(true);
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(() => sample(false));
    }, everyMs);
    try {
      const result = await work();
      clearInterval(timer);
      await sampling;
      await sample(false);
      let cpuSeconds = 0;
      for (const [pid, seconds] of last) cpuSeconds += seconds - (first.get(pid) ?? 0);
      return { result, cpuSeconds };
    } finally {
      clearInterval(timer);
      await sampling.catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}
