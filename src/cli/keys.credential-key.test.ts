import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, withMigratedEmbeddedDatabase } from '../../test/cli.js';
import { testEngine, testKeysEnv } from '../../test/engine.js';
import { keysFilePath } from '../platform/security/keyring.js';

// `unitrain keys new-credential-key` and `keys status` as real processes, on a real embedded data directory.
let workDir: string;
beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'unitrain-credential-key-'));
});
afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const credentialKeyIds = async (dataDir: string) =>
  (JSON.parse(await readFile(keysFilePath(dataDir), 'utf8')) as { credentialSigningKeys: { id: string }[] }).credentialSigningKeys.map((key) => key.id);

describe('unitrain keys new-credential-key', () => {
  it.runIf(testEngine === 'pglite')('appends a key to DATA_DIR/keys.json, keeping the older ones, and keys status names the one that signs', async () => {
    const dataDir = await withMigratedEmbeddedDatabase(join(workDir, 'data'));
    const env = { DATA_DIR: dataDir };
    const first = await runCli(['keys', 'new-credential-key'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const [generated, added] = await credentialKeyIds(dataDir) as [string, string];
    expect(first.stdout.trim()).toBe(`added credential signing key ${added} to ${keysFilePath(dataDir)}; it signs from the next start on`);
    expect(added).toBe(`${generated}-2`);
    const status = await runCli(['keys', 'status'], env);
    expect(status.stdout).toContain(`credential signing key: ${added} (published: ${generated}, ${added})`);
  });

  it('prints the entry to append to CREDENTIAL_SIGNING_KEYS when the keys come from the environment', async () => {
    const result = await runCli(['keys', 'new-credential-key'], { DATA_DIR: join(workDir, 'data'), ...testKeysEnv });
    expect(result.code).toBe(0);
    const [advice, entry] = result.stdout.trim().split('\n') as [string, string];
    expect(advice).toBe('append this entry (last) to CREDENTIAL_SIGNING_KEYS, then restart every process:');
    expect(entry).toMatch(/^c\d{8}:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(entry.split(':')[1]!, 'base64')).toHaveLength(32);
  });
});
