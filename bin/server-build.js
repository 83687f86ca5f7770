import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
 * `npm ci` builds it (`prepare`); `unitrain` checks the fingerprint of the inputs on every start and
 * rebuilds when they changed. Plain JavaScript: it runs before anything could compile it.
 */
const repository = fileURLToPath(new URL('..', import.meta.url));
const sourceDirectory = join(repository, 'src');
const outputDirectory = join(repository, 'dist');
const stampFile = join(outputDirectory, '.build-stamp');
const pgliteTemplateName = 'pglite-template';
/**
 * Packages that stay in node_modules, loaded from there: those that find files from their own location
 * (PGlite its WebAssembly and data, swagger-ui and @fastify/static the files they serve, pino the
 * transports it starts by path), native code (argon2), ioredis (loaded only with REDIS_URL) and what only
 * `seed` or the certificate PDF load, which are large (faker, pdf-lib, fontkit, qrcode), and pg-native,
 * which pg requires only when asked and is not installed.
 */
const packagesKept = ['@electric-sql/pglite', '@fastify/swagger-ui', '@fastify/static', 'pino', 'pino-pretty', '@node-rs/argon2', 'ioredis', '@faker-js/faker', 'pdf-lib', 'fontkit', 'qrcode', 'pg-native'];

/** @returns {string[]} the sources compiled: every .ts file under src/ but the tests. */
function sourceFiles() {
  return readdirSync(sourceDirectory, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'))
    .sort()
    .map((path) => join(sourceDirectory, path));
}

/** @returns {string} a hash of every input of the build: the sources, the lockfile (bundled packages), tsconfig.json and this file (its options). */
function serverFingerprint() {
  const hash = createHash('sha256');
  for (const path of [...sourceFiles(), join(repository, 'package-lock.json'), join(repository, 'tsconfig.json'), fileURLToPath(import.meta.url)]) {
    hash.update(relative(repository, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

/** @param {string} [fingerprint] @returns {boolean} */
function serverBuildIsCurrent(fingerprint = serverFingerprint()) {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === fingerprint;
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
    const fingerprint = serverFingerprint();
    if (!options.force && serverBuildIsCurrent(fingerprint)) return false;
    const started = Date.now();
    const { build } = await import('esbuild');
    const nextDirectory = join(repository, `dist.${process.pid}`);
    rmSync(nextDirectory, { recursive: true, force: true });
    await build({
      entryPoints: [join(sourceDirectory, 'cli.ts')],
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
    writeFileSync(join(nextDirectory, '.build-stamp'), `${fingerprint}\n`);
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
