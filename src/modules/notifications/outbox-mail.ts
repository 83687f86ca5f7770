import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
