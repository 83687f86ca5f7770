import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * pgbench running `script` (prepared statements, two threads) with `clients` clients for `seconds` on the
 * database `url` names, `variables` given with -D: transactions per second; null without pgbench on the PATH.
 */
export async function pgbenchRate(url: string, script: string, options: { clients: number; seconds: number; variables?: Record<string, string> }): Promise<number | null> {
  const file = join(tmpdir(), `unitrain-pgbench-${process.pid}-${Date.now()}.sql`);
  await writeFile(file, script);
  const variables = Object.entries(options.variables ?? {}).flatMap(([name, value]) => ['-D', `${name}=${value}`]);
  try {
    const { stdout } = await promisify(execFile)('pgbench', ['-n', '-M', 'prepared', '-c', String(options.clients), '-j', '2', '-T', String(options.seconds), ...variables, '-f', file, url]);
    const tps = /^tps = ([\d.]+)/m.exec(stdout)?.[1];
    if (tps === undefined) throw new Error(`pgbench printed no rate: ${stdout}`);
    return Number(tps);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  } finally {
    await rm(file, { force: true });
  }
}
