import Type, { type Static } from 'typebox';
import { Nullable, pageOf, Text, Timestamp, Uuid, Version } from '../../platform/shared/crud/schema-types.js';

export const CourseCode = Type.String({ minLength: 1, maxLength: 50, pattern: '^\\S+$', description: 'unique, without blanks, e.g. FA-101' });
export const CourseStatus = Type.Union([Type.Literal('DRAFT'), Type.Literal('PUBLISHED'), Type.Literal('ARCHIVED')]);

/**
 * One `type` list rather than `Nullable(Type.Integer())`: with the app's type coercion, an anyOf
 * would let 0 fail the integer branch and then pass the null branch as null.
 */
const ValidityMonths = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 1,
  maximum: 1200,
  description: 'null: valid for life; only for certifying courses',
});

/** The catalogue fields: what an administrator edits and what a publication snapshots. */
export const catalogueFields = {
  code: CourseCode,
  title: Text(200),
  description: Nullable(Text(5000)),
  duration_minutes: Type.Integer({ minimum: 1, maximum: 100_000 }),
  certifies: Type.Boolean({ description: 'completing the course issues a certificate' }),
  certificate_validity_months: ValidityMonths,
};

/** The course the examples of a course and of its catalogue entry show. */
const firstAidExample = {
  id: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  code: 'FA-101',
  title: 'First Aid at Work',
  description: 'Three days of practical first aid with a written and a practical assessment.',
  duration_minutes: 1260,
  certifies: true,
  certificate_validity_months: 36,
};

export const CourseSchema = Type.Object({
  id: Uuid,
  ...catalogueFields,
  status: CourseStatus,
  published_at: Nullable(Timestamp),
  published_version: Nullable(Type.Integer({ description: 'the version the catalogue shows (the last one published)' })),
  has_unpublished_changes: Nullable(
    Type.Boolean({ description: 'administrators only (null for others): the working copy differs from the last publication, or was never published' }),
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
}, {
  title: 'Course',
  examples: [{
    ...firstAidExample,
    status: 'PUBLISHED',
    published_at: '2026-11-20T09:00:00.000Z',
    published_version: 2,
    has_unpublished_changes: false,
    created_at: '2026-11-02T14:31:08.120Z',
    updated_at: '2026-11-20T09:00:00.000Z',
    version: 4,
  }],
});

/** A snapshot holds the catalogue fields as they were published (older ones may hold other keys too). */
export const SnapshotSchema = Type.Partial(Type.Object(catalogueFields), { additionalProperties: true });

export const CourseVersionSchema = Type.Object({
  id: Uuid,
  course_id: Uuid,
  version_number: Type.Integer(),
  snapshot: SnapshotSchema,
  published_at: Timestamp,
  published_by: Nullable(Uuid),
  created_at: Timestamp,
}, { title: 'CourseVersion' });

const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
const Cursor = Type.String({ maxLength: 1024 });
export const CourseVersionPage = pageOf(CourseVersionSchema, 'CourseVersionPage');

export const CourseIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const CourseVersionParams = Type.Object({ id: Uuid, number: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'the version number of a publication' }) }, { additionalProperties: false });
export const VersionsQuery = Type.Object({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) }, { additionalProperties: false });

/** A status change names the version it was decided on: here, or as an If-Match header. */
export const TransitionBody = Type.Object({ version: Type.Optional(Version) }, { title: 'CourseTransitionBody', additionalProperties: false });

export const CatalogueEntrySchema = Type.Object({
  id: Uuid,
  ...catalogueFields,
  published_at: Timestamp,
  version: Type.Integer({ description: 'the published version this entry shows' }),
}, {
  title: 'CatalogueEntry',
  examples: [{
    ...firstAidExample,
    published_at: '2026-11-20T09:00:00.000Z',
    version: 2,
  }],
});

export const CataloguePage = pageOf(CatalogueEntrySchema, 'CataloguePage');

export const catalogueSorts = ['code', 'title'] as const;

export const CatalogueQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'part of the title or code, any case' })),
    certifies: Type.Optional(Type.Boolean()),
    sort: Type.Optional(Type.Union(catalogueSorts.map((sort) => Type.Literal(sort)))),
    direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const CatalogueCodeParams = Type.Object({ code: CourseCode }, { additionalProperties: false });

export type Course = Static<typeof CourseSchema>;
export type CourseVersion = Static<typeof CourseVersionSchema>;
export type CatalogueEntry = Static<typeof CatalogueEntrySchema>;
/** One page of a keyset-paged list. */
export interface PageOf<T> {
  items: T[];
  next_cursor: string | null;
  total: number;
}
