import { readdir, readFile } from 'node:fs/promises';

const ticksPerSecond = 100;

/** CPU seconds (user + system) used so far by the processes whose command name is `name`, or by `pid`; Linux only. */
export async function cpuSecondsOf(which: { name: string } | { pid: number }): Promise<number> {
  const pids = 'pid' in which ? [String(which.pid)] : (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    if ('name' in which && command !== which.name) continue;
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted from the state field (3).
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}
