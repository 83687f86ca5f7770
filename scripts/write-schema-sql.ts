import { writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { pgliteExtensions, wrapPglite } from '../src/platform/db/pglite-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { dumpSchema, schemaDumpPath } from '../src/platform/db/schema-dump.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';

// `npm run db:schema`: migrates a new in-memory embedded database and writes its schema to db/schema.sql.
const pglite = await PGlite.create({ parsers: typeParsers, extensions: pgliteExtensions });
const db = wrapPglite(pglite, createQueryLog(null, 0), () => pglite.close());
try {
  await migrateUp(db);
  await writeFile(new URL(`../${schemaDumpPath}`, import.meta.url), await dumpSchema(db));
  console.log(`wrote ${schemaDumpPath}`);
} finally {
  await db.close();
}
