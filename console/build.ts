import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';

/**
 * Builds the console when its build is missing or stale: `npm start` runs this first (prestart), the
 * end-to-end tests call it, and `npm run console:build` forces it. Stale means the fingerprint of every
 * input (the console's sources, the typed client, the lockfile) differs from the one the last build wrote
 * beside its output, so a `git pull` that changes the console rebuilds it on the next start and nothing
 * else does. Builds into a fresh folder and swaps it in, under a lock, so a server never reads half a build.
 */
const consoleDirectory = fileURLToPath(new URL('.', import.meta.url));
const repository = join(consoleDirectory, '..');
const outputDirectory = join(consoleDirectory, 'dist');
const stampFile = join(outputDirectory, '.build-stamp');

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    // The end-to-end tests (e2e/) are no input of the build.
    if (entry.isDirectory()) return ['dist', 'node_modules', 'e2e'].includes(entry.name) || entry.name.startsWith('dist.') ? [] : filesUnder(path);
    return [path];
  });
}

export function consoleFingerprint(): string {
  const inputs = [...filesUnder(consoleDirectory), join(repository, 'client/index.ts'), join(repository, 'client/schema.d.ts'), join(repository, 'package-lock.json')]
    .filter((path) => !path.endsWith('.lock'))
    .sort();
  const hash = createHash('sha256');
  for (const path of inputs) hash.update(relative(repository, path)).update('\0').update(readFileSync(path)).update('\0');
  return hash.digest('hex');
}

export function consoleBuildIsCurrent(): boolean {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === consoleFingerprint();
}

/**
 * Brotli and gzip copies beside each text file, made once here at the highest levels, so the server
 * sends them as they are (@fastify/static `preCompressed`) and compresses nothing per request.
 */
function precompress(directory: string): void {
  for (const path of filesUnder(directory).filter((file) => /\.(js|css|html|svg|json)$/.test(file))) {
    const content = readFileSync(path);
    writeFileSync(`${path}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } }));
    writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
  }
}

/** Builds unless current (or always, when forced); resolves with whether it built. */
export async function ensureConsoleBuilt(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<boolean> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (!options.force && consoleBuildIsCurrent()) return false;
  mkdirSync(consoleDirectory, { recursive: true });
  const release = await lockfile.lock(consoleDirectory, { lockfilePath: join(consoleDirectory, 'dist.lock'), retries: { retries: 120, minTimeout: 500, maxTimeout: 1000 }, stale: 120_000 });
  try {
    // Another process may have built it while this one waited for the lock.
    if (!options.force && consoleBuildIsCurrent()) return false;
    const fingerprint = consoleFingerprint();
    const started = Date.now();
    log('building the web console (console/dist)…');
    const { build } = await import('vite');
    const nextDirectory = join(consoleDirectory, `dist.${process.pid}`);
    // Vitest sets NODE_ENV=test, and Vite and its React plugin would then build React's development
    // runtime into the e2e run's console: a production build says so, whoever calls.
    const nodeEnv = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      await build({ configFile: join(consoleDirectory, 'vite.config.ts'), logLevel: 'warn', mode: 'production', build: { outDir: nextDirectory, emptyOutDir: true } });
    } finally {
      if (nodeEnv === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = nodeEnv;
    }
    precompress(nextDirectory);
    writeFileSync(join(nextDirectory, '.build-stamp'), `${fingerprint}\n`);
    rmSync(outputDirectory, { recursive: true, force: true });
    renameSync(nextDirectory, outputDirectory);
    log(`built the web console in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return true;
  } finally {
    await release();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureConsoleBuilt({ force: !process.argv.includes('--if-stale') });
}
