// Column helpers shared by every table definition. The SQL migrations are the source of truth;
// these must stay column-for-column equal to them (a test compares both with information_schema).
import { integer, timestamp, uuid } from 'drizzle-orm/pg-core';

/** `timestamptz`: every instant in the schema carries its zone. */
export const timestamptz = <TName extends string>(name: TName) => timestamp(name, { withTimezone: true });

/** `id uuid primary key default gen_random_uuid()` */
export const id = () => uuid('id').primaryKey().defaultRandom();

/** `created_at timestamptz not null default now()` */
export const createdAt = () => timestamptz('created_at').notNull().defaultNow();

/**
 * created_at, updated_at and version of a mutable row. The set_row_version trigger bumps version
 * and updated_at on every UPDATE; write them never, compare version for optimistic locking.
 */
export const rowVersion = () => ({
  createdAt: createdAt(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  version: integer('version').notNull().default(1),
});
