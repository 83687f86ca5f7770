import Type, { type TSchema } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
/** Sent as ISO 8601 text; handlers return the Dates the driver gives, which the serializer writes as such. */
export const Timestamp = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
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
  return Type.Partial(Type.Object({ ...fields, version: Type.Integer({ minimum: 1, maximum: 2147483647 }) }), { additionalProperties: false });
}

/** The columns a resource shows: id, its fields, and the bookkeeping columns the table has. */
export function columnsOf(fields: Record<string, TSchema>, bookkeeping: readonly string[] = ['created_at', 'updated_at', 'version']): string[] {
  return ['id', ...Object.keys(fields), ...bookkeeping];
}
