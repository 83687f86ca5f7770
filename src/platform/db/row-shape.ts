import type { Row } from './database.js';

type Parser = (value: string) => unknown;

/** The columns of a statement's answer, and how each of its rows becomes an object. */
export interface RowShape {
  row(values: readonly (string | null)[]): Row;
}

interface TypeParsers {
  getTypeParser(oid: number, format?: 'text' | 'binary'): unknown;
}

type RowBuilder = (values: readonly (string | null)[], parsers: readonly Parser[]) => Row;

/** One builder per list of column names, shared by every statement and connection that answers them. */
const builders = new Map<string, RowBuilder>();

/** A property of an object literal; `__proto__` written as a computed key, which defines a property rather than the prototype. */
const propertyOf = (name: string) => (name === '__proto__' ? `["__proto__"]` : JSON.stringify(name));

/**
 * A function that builds a row as one object literal of the columns in order: every row of a shape
 * shares one hidden class from its first property on, where pg copies an empty template and adds each
 * column by name (decision 0078). The same values as pg's: a null stays null, any other value goes
 * through its type's parser, and of two columns of one name the later one's value is kept (in the
 * earlier one's place). Names are written as JSON string literals: no column name can be code.
 */
function builderOf(names: readonly string[]): RowBuilder {
  const key = JSON.stringify(names);
  let builder = builders.get(key);
  if (builder === undefined) {
    const properties = names.map((name, index) => `${propertyOf(name)}: v[${index}] === null ? null : p[${index}](v[${index}])`);
    builder = new Function('v', 'p', `return { ${properties.join(', ')} };`) as RowBuilder;
    builders.set(key, builder);
  }
  return builder;
}

/** The shape of the rows a RowDescription announces, each value parsed as `types` parse its column's type (text format). */
export function rowShapeOf(fields: readonly { name: string; dataTypeID: number }[], types: TypeParsers): RowShape {
  const parsers = fields.map((field) => types.getTypeParser(field.dataTypeID, 'text') as Parser);
  const build = builderOf(fields.map((field) => field.name));
  return { row: (values) => build(values, parsers) };
}
