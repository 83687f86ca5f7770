import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseInUseError } from './database-in-use-error.js';
import { openPgliteDatabase } from './pglite-database.js';
import { createQueryLog } from './query-log.js';

// The lock of an embedded data directory as a process leaves it when it is killed (kill -9): the lock
// directory, fresh (its holder updated it up to 5 s ago), and the file naming the holder.
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'unitrain-lock-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function leaveLock(path: string, pid: number): Promise<void> {
  await mkdir(join(path, '.unitrain.lock'), { recursive: true });
  await writeFile(join(path, '.unitrain.lock.holder'), JSON.stringify({ pid, host: hostname() }));
}

describe('the embedded data directory lock', () => {
  it('is taken over at once when the process that held it is gone', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    const path = join(workDir, 'crashed');
    await leaveLock(path, child.pid as number);
    const db = await openPgliteDatabase({ kind: 'directory', path }, createQueryLog(null, 0));
    try {
      expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      // The second opener meets this live process's lock.
      await expect(openPgliteDatabase({ kind: 'directory', path }, createQueryLog(null, 0))).rejects.toThrow(DatabaseInUseError);
    } finally {
      await db.close();
    }
  });

  it('is refused while the process that holds it runs', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const path = join(workDir, 'held');
      await leaveLock(path, holder.pid as number);
      await expect(openPgliteDatabase({ kind: 'directory', path }, createQueryLog(null, 0))).rejects.toThrow(
        new DatabaseInUseError(`the data directory ${path} is in use by another Unitrain process`),
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
