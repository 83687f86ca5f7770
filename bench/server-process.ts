import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath } from '../test/cli.js';

/** Keys for a benchmark's server process and for tokens the benchmark signs itself. */
export const benchKeys = { encryption: randomBytes(32), blindIndex: randomBytes(32), tokenSigning: randomBytes(32), credentialSigning: randomBytes(32) };
export const benchKeyring = { encryptionKeys: [{ id: 'bench', key: benchKeys.encryption }], blindIndexKey: benchKeys.blindIndex, tokenSigningKey: benchKeys.tokenSigning, credentialSigningKeys: [{ id: 'bench', seed: benchKeys.credentialSigning }] };

/** The environment that gives a server process the benchmark's keys and database. */
export function serverEnv(databaseUrl: string, poolMax: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: String(poolMax),
    ENCRYPTION_KEYS: `bench:${benchKeys.encryption.toString('base64')}`, BLIND_INDEX_KEY: benchKeys.blindIndex.toString('base64'),
    TOKEN_SIGNING_KEY: benchKeys.tokenSigning.toString('base64'),
    CREDENTIAL_SIGNING_KEYS: `bench:${benchKeys.credentialSigning.toString('base64')}`,
  };
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

/**
 * `unitrain serve` as its own process, logging warnings only (as the http-health benchmark's server
 * does: no line per request), ready once /health answers. Resolves to its URL and a stop function.
 * `entry` starts another server the same way (an anchor measured as the server it anchors is).
 */
export async function startServer(
  env: Record<string, string>,
  entry: readonly string[] = [cliPath, 'serve'],
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles`: flags for the server's node (a profile of it under load).
  const nodeArgs = process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: String(port), LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); attempt++) {
    if (child.exitCode !== null || attempt > 300) {
      await stop();
      throw new Error(`${entry.join(' ')} did not start (exit code ${child.exitCode})`);
    }
    await sleep(100);
  }
  return { url, pid: child.pid as number, stop };
}
