/** Which database engine the suite runs on: PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise. */
export const testEngine: 'pglite' | 'postgres' = process.env['DATABASE_URL'] ? 'postgres' : 'pglite';

export function serverUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}

/** The same server, another database on it. */
export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Keys for processes started against a server database, which must be given keys (the embedded mode makes its own). */
export const testKeysEnv = {
  ENCRYPTION_KEYS: `test1:${Buffer.alloc(32, 1).toString('base64')}`,
  BLIND_INDEX_KEY: Buffer.alloc(32, 2).toString('base64'),
  TOKEN_SIGNING_KEY: Buffer.alloc(32, 3).toString('base64'),
  CREDENTIAL_SIGNING_KEYS: `ctest1:${Buffer.alloc(32, 4).toString('base64')}`,
};
