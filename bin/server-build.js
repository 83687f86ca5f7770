import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The server's TypeScript (src/, without its tests) compiled to JavaScript in dist/ by esbuild, so that a
 * process loads a few plain modules instead of transforming each of ~290 through tsx (decision 0050).
 * Bundled from src/cli.ts, split where the sources import lazily (each command, the server, the PDF
 * renderer): every file lands directly under dist/, one directory below the root as src/'s top level is,
 * so paths resolved from src/repository-path.ts hold in both. Packages are bundled too, with what they
 * import: Node 20 loads modules one by one, each resolved, read and (for CommonJS imported from ES modules)
 * scanned for its exports, so the ~600 files of Fastify, Ajv, pg, prom-client and the rest cost a start
 * ~0.25 s of CPU more than the same code in a few files (decision 0087; typebox's ~680 ES modules alone
 * cost ~0.3 s, decision 0050). Bundled CommonJS calls `require` for Node's own modules and for the
 * packages kept below, hence the banner.
 * `npm ci` builds it (`prepare`); `unitrain` checks on every start that the inputs are those it was built
 * from (`serverBuildIsCurrent`) and rebuilds when they changed. Plain JavaScript: it runs before anything
 * could compile it.
 */
const repository = fileURLToPath(new URL('..', import.meta.url));
const outputDirectory = join(repository, 'dist');
const pgliteTemplateName = 'pglite-template';
/**
 * Packages that stay in node_modules, loaded from there: those that find files from their own location
 * (PGlite its WebAssembly and data, swagger-ui and @fastify/static the files they serve, pino the
 * transports it starts by path), native code (argon2), ioredis (loaded only with REDIS_URL) and what only
 * `seed` or the certificate PDF load, which are large (faker, pdf-lib, fontkit, qrcode), and pg-native,
 * which pg requires only when asked and is not installed.
 */
const packagesKept = ['@electric-sql/pglite', '@fastify/swagger-ui', '@fastify/static', 'pino', 'pino-pretty', '@node-rs/argon2', 'ioredis', '@faker-js/faker', 'pdf-lib', 'fontkit', 'qrcode', 'pg-native'];

/** @param {string} directory @returns {string[]} the .ts files under `directory` but the tests, walked by hand: readdirSync's `recursive` took three times the CPU. */
function sourcesUnder(directory) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** @param {string} root @returns {string[]} every input of the build: the sources, the lockfile (bundled packages), tsconfig.json and this file (its options). */
function buildInputs(root) {
  return [...sourcesUnder(join(root, 'src')).sort(), join(root, 'package-lock.json'), join(root, 'tsconfig.json'), fileURLToPath(import.meta.url)];
}

/** @param {string} root @param {string[]} inputs @returns {string} a hash of the inputs' contents. */
function fingerprintOf(root, inputs) {
  const hash = createHash('sha256');
  for (const path of inputs) hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  return hash.digest('hex');
}

/** Inputs changed less than this long before a build was stamped are hashed again at the next start (see `inputsOnDisk`). */
const settledMs = 2_000;

/**
 * What the file system says of the inputs, without reading them: a hash of each one's path, size, inode and
 * modification and change times, and whether all of them were last changed more than `settledMs` before
 * `now`. Any write to a file sets its change time, which no tool can set back (tar, rsync and `touch -d`
 * restore the modification time only), so unchanged stats mean unchanged contents; a copy or a checkout
 * changes them and costs one hash, not a build. The kernel keeps these times in coarse ticks: a file written
 * twice within a tick keeps its times, so a stamp taken as its inputs were being written is not trusted
 * (as git treats an index entry as "racily clean").
 * @param {string} root @param {string[]} inputs @param {number} now
 * @returns {{ files: string, settled: boolean }}
 */
function inputsOnDisk(root, inputs, now) {
  const hash = createHash('sha256');
  let settled = true;
  for (const path of inputs) {
    const stats = statSync(path, { bigint: true });
    hash.update(`${relative(root, path)}\0${stats.size}\0${stats.ino}\0${stats.mtimeNs}\0${stats.ctimeNs}\n`);
    if (Number(stats.ctimeMs) > now - settledMs || Number(stats.mtimeMs) > now - settledMs) settled = false;
  }
  return { files: hash.digest('hex'), settled };
}

/** @param {string} path @returns {string | null} */
function readStamp(path) {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
}

/**
 * The stamps of `root`'s inputs as they are now: their contents' hash and, once they have settled, what the
 * file system says of them, read before the contents are (a file changed after being read then differs from
 * it). Taken before a build compiles the inputs, so that one changed meanwhile makes the build stale.
 * @param {string} root @param {number} [now]
 * @returns {{ fingerprint: string, files: string | null }}
 */
export function inputStamps(root, now = Date.now()) {
  const inputs = buildInputs(root);
  const { files, settled } = inputsOnDisk(root, inputs, now);
  return { fingerprint: fingerprintOf(root, inputs), files: settled ? files : null };
}

/** Into a build's output directory. @param {string} directory @param {{ fingerprint: string, files: string | null }} stamps */
export function writeStamps(directory, { fingerprint, files }) {
  writeFileSync(join(directory, '.build-stamp'), `${fingerprint}\n`);
  rmSync(join(directory, '.build-files'), { force: true });
  if (files !== null) writeFileSync(join(directory, '.build-files'), `${files}\n`);
}

/**
 * Whether `root`'s dist/ was built from its inputs as they are. A start usually only stats them (~300 files)
 * instead of hashing their contents (40–70 ms, decision 0099): the hash is computed when their stats differ
 * from those noted, and the stats are noted again when the contents still match.
 * @param {string} [root] @param {number} [now] @returns {boolean}
 */
export function serverBuildIsCurrent(root = repository, now = Date.now()) {
  const output = join(root, 'dist');
  const fingerprint = readStamp(join(output, '.build-stamp'));
  if (fingerprint === null) return false;
  const inputs = buildInputs(root);
  const { files, settled } = inputsOnDisk(root, inputs, now);
  if (readStamp(join(output, '.build-files')) === files) return true;
  if (fingerprintOf(root, inputs) !== fingerprint) return false;
  if (settled) {
    try {
      writeFileSync(join(output, '.build-files'), `${files}\n`);
    } catch {
      // A read-only installation: its next start hashes again.
    }
  }
  return true;
}

/**
 * dist/pglite-template: an embedded database directory as PGlite's initdb leaves it, closed cleanly. A first
 * start copies it into the new data directory instead of running initdb there (~3 s of CPU and ~800 MB
 * resident on the 2-core machine; decision 0084). It depends only on the PGlite release, so a rebuild for
 * changed sources keeps the previous one when that release is unchanged.
 * @param {string} nextDirectory
 */
async function buildPgliteTemplate(nextDirectory) {
  const template = join(nextDirectory, pgliteTemplateName);
  const versionFile = join(nextDirectory, `${pgliteTemplateName}.version`);
  const version = JSON.parse(readFileSync(join(repository, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version;
  const previous = join(outputDirectory, pgliteTemplateName);
  const previousVersionFile = join(outputDirectory, `${pgliteTemplateName}.version`);
  if (existsSync(previousVersionFile) && readFileSync(previousVersionFile, 'utf8').trim() === version) {
    renameSync(previous, template);
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create({ dataDir: template });
    await pglite.close();
  }
  writeFileSync(versionFile, `${version}\n`);
}

/**
 * Builds dist/ unless current (or always, when forced); resolves with whether it built. Writes to
 * `dist.<pid>` under a lock and swaps it in, so concurrent starts build once and never read half a build.
 * @param {{ force?: boolean, log?: (line: string) => void }} [options]
 * @returns {Promise<boolean>}
 */
export async function ensureServerBuilt(options = {}) {
  if (!options.force && serverBuildIsCurrent()) return false;
  const { default: lockfile } = await import('proper-lockfile');
  const release = await lockfile.lock(repository, { lockfilePath: join(repository, 'dist.lock'), retries: { retries: 120, minTimeout: 100, maxTimeout: 1000 }, stale: 60_000 });
  try {
    // Another process may have built it while this one waited for the lock.
    if (!options.force && serverBuildIsCurrent()) return false;
    const stamps = inputStamps(repository);
    const started = Date.now();
    const { build } = await import('esbuild');
    const nextDirectory = join(repository, `dist.${process.pid}`);
    rmSync(nextDirectory, { recursive: true, force: true });
    await build({
      entryPoints: [join(repository, 'src', 'cli.ts')],
      outdir: nextDirectory,
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      // engines: node >= 20.19.
      target: 'node20.19',
      // Stack traces name src/ lines under `node --enable-source-maps`.
      sourcemap: 'linked',
      logLevel: 'warning',
      banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
      plugins: [
        {
          name: 'packages-kept-in-node_modules',
          setup(plugins) {
            plugins.onResolve({ filter: /^[^./]/ }, ({ path }) =>
              path.startsWith('node:') || packagesKept.some((name) => path === name || path.startsWith(`${name}/`)) ? { path, external: true } : undefined);
          },
        },
      ],
    });
    await buildPgliteTemplate(nextDirectory);
    writeStamps(nextDirectory, stamps);
    rmSync(outputDirectory, { recursive: true, force: true });
    renameSync(nextDirectory, outputDirectory);
    options.log?.(`compiled the server (src → dist) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return true;
  } finally {
    await release();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureServerBuilt({ force: !process.argv.includes('--if-stale'), log: (line) => console.error(line) });
}
