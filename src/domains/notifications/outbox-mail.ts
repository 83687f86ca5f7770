import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive } from '../../platform/shared/process-alive.js';

/**
 * Without SMTP a composed message goes to `<dir>/<name>.eml`. Written under a temporary name and
 * renamed, so a reader never sees half a file; a retried job writes the same name again instead of a
 * second file.
 */
export async function writeOutboxMail(dir: string, name: string, message: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.eml`);
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, message);
  await rename(partial, path);
  return path;
}


/**
 * Removes the `<name>.eml.<pid>.partial` files of writers that are gone (a worker killed mid-write):
 * their job was not marked done, so it writes the whole file again. A live writer's file is kept.
 */
export async function removeAbandonedPartials(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: { code?: string }) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
  const abandoned = names.filter((name) => {
    const pid = /\.(\d+)\.partial$/.exec(name)?.[1];
    return pid !== undefined && !isProcessAlive(Number(pid));
  });
  await Promise.all(abandoned.map((name) => rm(join(dir, name), { force: true })));
  return abandoned;
}
