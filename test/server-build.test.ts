import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inputStamps, serverBuildIsCurrent, writeStamps } from '../bin/server-build.js';

/**
 * What `unitrain` checks before each start (decision 0099): real files in a directory of their own, laid out
 * as the repository's inputs are. Nothing is built: a build's stamps are written as `ensureServerBuilt` writes
 * them, and the check is asked whether they still describe the inputs.
 */
describe('the check that dist/ was built from the sources as they are', () => {
  let root: string;
  const source = (path: string) => join(root, 'src', path);
  // Stamps taken "a minute from now": the inputs just written count as settled.
  const stampBuild = () => writeStamps(join(root, 'dist'), inputStamps(root, Date.now() + 60_000));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'unitrain-build-check-'));
    mkdirSync(join(root, 'src', 'domains'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    writeFileSync(source('cli.ts'), 'export const answer = 41;\n');
    writeFileSync(source('domains/courses.ts'), 'export const courses = [];\n');
    writeFileSync(source('domains/courses.test.ts'), 'it.todo("courses");\n');
    writeFileSync(join(root, 'package-lock.json'), '{}\n');
    writeFileSync(join(root, 'tsconfig.json'), '{}\n');
    stampBuild();
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Until the clock has moved past the coarse tick in which the files were last written, so that a new write gets new times. */
  async function nextTick(): Promise<void> {
    const latest = Math.max(statSync(source('cli.ts')).ctimeMs, statSync(join(root, 'dist', '.build-files')).ctimeMs);
    while (Date.now() < latest + 50) await new Promise((resolve) => setImmediate(resolve));
  }

  it('holds a build current while its inputs are untouched, and after a change to a test or a touch that changed nothing', async () => {
    expect(serverBuildIsCurrent(root)).toBe(true);
    await nextTick();
    writeFileSync(source('domains/courses.test.ts'), 'it.todo("courses, again");\n');
    const now = new Date();
    utimesSync(source('cli.ts'), now, now);
    expect(serverBuildIsCurrent(root)).toBe(true);
    expect(serverBuildIsCurrent(root)).toBe(true);
  });

  it('finds a build stale when a source changed, even with its size and modification time put back', async () => {
    // A whole second, which utimes can put back exactly (tar and rsync restore a file's time too).
    const restored = new Date('2026-01-01T00:00:00Z');
    utimesSync(source('cli.ts'), restored, restored);
    stampBuild();
    await nextTick();
    const before = statSync(source('cli.ts'), { bigint: true });
    writeFileSync(source('cli.ts'), 'export const answer = 42;\n');
    utimesSync(source('cli.ts'), restored, restored);
    const after = statSync(source('cli.ts'), { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    expect(serverBuildIsCurrent(root)).toBe(false);
  });

  it('finds a build stale when a source was added or removed, or the lockfile changed', async () => {
    await nextTick();
    writeFileSync(source('domains/sessions.ts'), 'export const sessions = [];\n');
    expect(serverBuildIsCurrent(root)).toBe(false);
    stampBuild();
    expect(serverBuildIsCurrent(root)).toBe(true);
    rmSync(source('domains/courses.ts'));
    expect(serverBuildIsCurrent(root)).toBe(false);
    stampBuild();
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    expect(serverBuildIsCurrent(root)).toBe(false);
  });

  it('does not trust the stats of inputs written just before the build was stamped', () => {
    // Written within the kernel's coarse tick of a later write, a file could keep its times: only its contents then tell.
    expect(inputStamps(root).files).toBeNull();
    writeStamps(join(root, 'dist'), inputStamps(root));
    expect(serverBuildIsCurrent(root)).toBe(true);
  });
});
