import Type, { type Static, type TSchema } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
/** Sent as ISO 8601 text; handlers return the Dates the driver gives, which the serializer writes as such. */
export const Timestamp = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });

/**
 * `schema` or null, written as a type list (`type: ['integer', 'null']`) rather than `anyOf`: the
 * validator coerces types, and in an `anyOf` a value the first branch refuses (`0` below a minimum,
 * `""` below a minimum length, an unknown enum word) would be coerced to null by the second branch
 * and stored as null instead of being refused.
 */
export function Nullable<T extends TSchema>(schema: T) {
  const source = schema as Record<string, unknown>;
  if (typeof source['type'] === 'string') {
    return Type.Unsafe<Static<T> | null>({ ...source, type: [source['type'], 'null'] });
  }
  const choices = source['anyOf'] as Record<string, unknown>[] | undefined;
  const words = (source['enum'] as unknown[] | undefined) ?? choices?.map((choice) => choice['const']);
  if (words?.every((word) => typeof word === 'string')) {
    const annotations = Object.fromEntries(Object.entries(source).filter(([key]) => key !== 'anyOf'));
    return Type.Unsafe<Static<T> | null>({ ...annotations, type: ['string', 'null'], enum: [...words, null] });
  }
  throw new Error('Nullable takes a schema with one type, an enum or a union of string literals');
}
/** The optimistic-locking version a client read and sends back (an int4 column). */
export const Version = Type.Integer({ minimum: 1, maximum: 2147483647, description: 'the version you read' });
export const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

/** A create body: the `required` fields must be sent, the others may be; nothing else is accepted. */
export function createBodyOf<F extends Record<string, TSchema>>(fields: F, required: readonly (keyof F & string)[]) {
  const properties = Object.fromEntries(
    Object.entries(fields).map(([name, schema]) => [name, required.includes(name) ? schema : Type.Optional(schema)]),
  );
  return Type.Object(properties as F, { additionalProperties: false });
}

/** A change body: any of the fields, plus the `version` the client read (or an If-Match header). */
export function patchBodyOf<F extends Record<string, TSchema>>(fields: F) {
  return Type.Partial(Type.Object({ ...fields, version: Version }), { additionalProperties: false });
}

/** The columns a resource shows: id, its fields, and the bookkeeping columns the table has. */
export function columnsOf(fields: Record<string, TSchema>, bookkeeping: readonly string[] = ['created_at', 'updated_at', 'version']): string[] {
  return ['id', ...Object.keys(fields), ...bookkeeping];
}

const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; null on the last page' });

/** The one page shape of every list: `{ items, next_cursor, total }`, titled for the document. */
export function pageOf<T extends TSchema>(item: T, title: string) {
  return Type.Object({ items: Type.Array(item), next_cursor: NextCursor, total: Type.Integer({ description: 'how many match the filters' }) }, { title });
}

/** The page shape of a list too long or too live to count (jobs, events): `total` left out. */
export function uncountedPageOf<T extends TSchema>(item: T, title: string) {
  return Type.Object({ items: Type.Array(item), next_cursor: NextCursor }, { title });
}
