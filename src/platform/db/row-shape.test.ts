import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rowShapeOf } from './row-shape.js';

// No database: rows built from a RowDescription's fields and a DataRow's values, compared with pg's own Result.
const PgResult = (pg as unknown as { Result: new () => { addFields(fields: unknown[]): void; parseRow(values: unknown[]): Record<string, unknown> } }).Result;
const fieldsOf = (columns: [string, number][]) => columns.map(([name, dataTypeID]) => ({ name, dataTypeID, format: 'text' }));
const asPg = (columns: [string, number][], values: (string | null)[]) => {
  const result = new PgResult();
  result.addFields(fieldsOf(columns));
  return result.parseRow(values);
};
const { builtins } = pg.types;

describe('rowShapeOf', () => {
  it('builds the row pg builds: columns in order, nulls kept, each value through its type parser', () => {
    const columns: [string, number][] = [['id', builtins.UUID], ['n', builtins.INT4], ['at', builtins.TIMESTAMPTZ], ['ok', builtins.BOOL], ['tags', 1009], ['note', builtins.TEXT]];
    const values = ['5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f', '42', '2026-12-06 21:09:13.123456+00', 't', '{a,"b c"}', null];
    const row = rowShapeOf(fieldsOf(columns), pg.types).row(values);
    expect(row).toEqual(asPg(columns, values));
    expect(Object.keys(row)).toEqual(['id', 'n', 'at', 'ok', 'tags', 'note']);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  it('keeps the later value of two columns of one name, in the earlier one\'s place, as pg does', () => {
    const columns: [string, number][] = [['a', builtins.INT4], ['b', builtins.TEXT], ['a', builtins.TEXT]];
    const values = ['1', 'two', 'three'];
    const row = rowShapeOf(fieldsOf(columns), pg.types).row(values);
    expect(row).toEqual({ a: 'three', b: 'two' });
    expect(Object.keys(row)).toEqual(['a', 'b']);
  });

  it('takes any column name as a name, never as code or as the prototype', () => {
    const names = ['__proto__', 'constructor', '"}); throw new Error("no"); ({"', 'a\u2028b', ''];
    const row = rowShapeOf(names.map((name) => ({ name, dataTypeID: builtins.TEXT })), pg.types).row(names.map((_, index) => String(index)));
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(row)).toEqual(names);
    names.forEach((name, index) => expect(Object.getOwnPropertyDescriptor(row, name)?.value).toBe(String(index)));
  });
});
