import type { Queryable, Row, Tx } from '../../db/database.js';
import { answerTextOfTimestamptz } from '../../db/timestamptz-parser.js';
import { AppError } from '../../../errors.js';
import { type Cursor, decodeCursor, encodeCursor } from './cursor.js';

/**
 * Plain create/read/update/delete of one table, run inside the caller's `withActor` transaction so that
 * row-level security decides which rows exist for the actor. Table and column names come from code
 * (resource specs), never from input; values are always parameters.
 */
export interface TableSpec {
  table: string;
  /** Where reads come from: the table, or its `<table>_visible` view that nulls the fields the actor may not see. */
  readFrom: string;
  /** Columns returned to callers (from `readFrom`). */
  columns: readonly string[];
  /** Columns callers may filter lists on by equality (each one indexed). */
  filterable: readonly string[];
  /** Columns lists may be sorted on; the id breaks ties and pages. */
  sortable: readonly string[];
  /**
   * Per sort column, a column that orders rows with equal sort values before the id does (a session's
   * start time within its day); the keyset and the cursor carry both. Its column must be NOT NULL.
   */
  sortThen?: Readonly<Record<string, string>>;
  /** Whether the table has the optimistic-locking `version` column. */
  versioned: boolean;
  /**
   * The shape a cursor's value must have, per sort column (and per `sortThen` column, for the pair's second
   * text). Without one, PostgreSQL's cast decides, and it takes words like `yesterday` for a timestamp: an
   * invented cursor would page from there.
   */
  cursorFormats?: Readonly<Record<string, RegExp>>;
}

/** Binds a value as the next query parameter and returns its placeholder (`$3`). */
export type Bind = (value: unknown) => string;

/** A condition beyond equality filters (a range, a search), written with its values bound, e.g. `(bind) => \`day >= ${bind(from)}\``. */
export type ExtraCondition = (bind: Bind) => string;

export interface ListQuery {
  filters: Record<string, unknown>;
  /** Further conditions; column names in them come from code, values only through `bind`. */
  where?: readonly ExtraCondition[] | undefined;
  sort: string;
  direction: 'asc' | 'desc';
  limit: number;
  cursor?: string | undefined;
  /**
   * `timestamptz` columns read as the answer writes them (ISO 8601 text, `2026-12-06T21:09:13.123Z`) rather
   * than as Dates, for rows that go to the response serializer as they are: no Date is made per value and
   * formatted back (decision 0078). Nothing may read these columns as Dates.
   */
  timestampsAsText?: readonly string[] | undefined;
}

export interface Page {
  items: Row[];
  next_cursor: string | null;
  total: number;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const selectList = (spec: TableSpec) => spec.columns.map(quote).join(', ');

/** `spec`'s columns, those in `asText` as PostgreSQL's text of their value (under their own name). */
function pageSelectList(spec: TableSpec, asText: readonly string[]): string {
  return spec.columns.map((column) => (asText.includes(column) ? `${quote(column)}::text as ${quote(column)}` : quote(column))).join(', ');
}

/**
 * Each table's page statements by their shape (decision 0078): a list built its text anew on every
 * request, and the new string was hashed again to find its prepared statement. The shape (the sort, the
 * direction, the conditions with their placeholders, which columns are read as text) decides the text;
 * values are never in it. Shapes beyond the first hundred of a table are built each time.
 */
const pageTexts = new WeakMap<TableSpec, Map<string, string>>();
const pageTextsKept = 100;

function pageTextOf(spec: TableSpec, shape: string, build: () => string): string {
  let texts = pageTexts.get(spec);
  if (texts === undefined) pageTexts.set(spec, (texts = new Map()));
  let text = texts.get(shape);
  if (text === undefined) {
    text = build();
    if (texts.size < pageTextsKept) texts.set(shape, text);
  }
  return text;
}

function whereFilters(spec: TableSpec, filters: Record<string, unknown>, bind: Bind): string[] {
  return Object.entries(filters)
    .filter(([column, value]) => value !== undefined && spec.filterable.includes(column))
    .map(([column, value]) => `${quote(column)} = ${bind(value)}`);
}

function conditionsOf(spec: TableSpec, query: ListQuery, bind: Bind): string[] {
  return [...whereFilters(spec, query.filters, bind), ...(query.where ?? []).map((condition) => condition(bind))];
}

function binder(): { params: unknown[]; bind: Bind } {
  const params: unknown[] = [];
  return { params, bind: (value) => (params.push(value), `$${params.length}`) };
}

/**
 * The statement of one keyset page of the rows matching `query`. `withTotal` adds, as `__total` on every
 * row, how many rows match its filters and conditions (its cursor and limit aside): an uncorrelated
 * subquery, which PostgreSQL runs once (an InitPlan), so that a page and its count are one statement and
 * one round trip (decision 0063), under the same row-level security.
 */
function pageStatement(spec: TableSpec, query: ListQuery, withTotal: boolean): { text: string; params: unknown[] } {
  if (!spec.sortable.includes(query.sort)) {
    throw new AppError('VALIDATION_FAILED', `sort must be one of ${spec.sortable.join(', ')}`, { field: 'querystring.sort' });
  }
  const { params, bind } = binder();
  const conditions = conditionsOf(spec, query, bind);
  const matchingCount = conditions.length;
  const sortColumn = quote(query.sort);
  const then = spec.sortThen?.[query.sort];
  const comparator = query.direction === 'asc' ? '>' : '<';
  if (query.cursor !== undefined) {
    const cursor: Cursor = decodeCursor(query.cursor, query.sort);
    const invalid = () => new AppError('VALIDATION_FAILED', 'cursor is not one this API returned for this sort order', { field: 'querystring.cursor' });
    // With a second sort column the cursor's value is the pair of their texts; without one, never a pair.
    if (Array.isArray(cursor.value) !== (then !== undefined)) throw invalid();
    const [value, thenValue] = Array.isArray(cursor.value) ? cursor.value : [cursor.value];
    const fits = (column: string, text: unknown) => {
      const format = spec.cursorFormats?.[column];
      return !format || (typeof text === 'string' && format.test(text));
    };
    if (!fits(query.sort, value) || (then !== undefined && !fits(then, thenValue))) throw invalid();
    // Row comparison keeps keyset paging stable across equal sort values.
    conditions.push(
      then === undefined
        ? `(${sortColumn}, id) ${comparator} (${bind(value)}, ${bind(cursor.id)})`
        : `(${sortColumn}, ${quote(then)}, id) ${comparator} (${bind(value)}, ${bind(thenValue)}, ${bind(cursor.id)})`,
    );
  }
  const limit = bind(query.limit + 1);
  const asText = query.timestampsAsText ?? [];
  const shape = `${withTotal ? 'total' : ''} ${query.sort} ${query.direction} ${asText.join(',')} ${limit} ${matchingCount} ${conditions.join(' and ')}`;
  const text = pageTextOf(spec, shape, () => {
    const matching = matchingCount > 0 ? `where ${conditions.slice(0, matchingCount).join(' and ')}` : '';
    const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
    const total = withTotal ? `, (select count(*)::int from ${quote(spec.readFrom)} ${matching}) as "__total"` : '';
    // The cursor carries the sort value as PostgreSQL's own text: a JavaScript Date would cut microseconds.
    // The order names the table's column: a column read as text keeps its name in the select list, and a
    // bare name in ORDER BY means the select list's column first (the text, sorted as text).
    const thenText = then === undefined ? '' : `, ${quote(then)}::text as "__then"`;
    const thenOrder = then === undefined ? '' : `, ${quote(spec.readFrom)}.${quote(then)} ${query.direction}`;
    return `select ${pageSelectList(spec, asText)}, ${sortColumn}::text as "__sort"${thenText}${total} from ${quote(spec.readFrom)} ${where}
     order by ${quote(spec.readFrom)}.${sortColumn} ${query.direction}${thenOrder}, id ${query.direction} limit ${limit}`;
  });
  return { text, params };
}

function pageOf(rows: Row[], query: ListQuery): Omit<Page, 'total'> {
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  const value = last && '__then' in last ? [last['__sort'], last['__then']] : last?.['__sort'];
  const nextCursor = rows.length > query.limit && last ? encodeCursor({ sort: query.sort, value, id: String(last['id']) }) : null;
  const asText = query.timestampsAsText ?? [];
  for (const item of items) {
    // Last column first: V8 deletes an object's last property in place, any other turns the row into a
    // slow dictionary for the serializer (decision 0067).
    delete item['__total'];
    delete item['__then'];
    delete item['__sort'];
    for (const column of asText) {
      const value = item[column];
      if (typeof value === 'string') item[column] = answerTextOfTimestamptz(value);
    }
  }
  return { items, next_cursor: nextCursor };
}

/** One keyset page of the rows matching `query`, without counting them (for lists that show no total). */
export async function pageRows(tx: Queryable, spec: TableSpec, query: ListQuery): Promise<Omit<Page, 'total'>> {
  const { text, params } = pageStatement(spec, query, false);
  return pageOf((await tx.query(text, params)).rows, query);
}

/** How many rows match `query`'s filters and conditions (its cursor and limit aside). */
export async function countRows(tx: Queryable, spec: TableSpec, query: ListQuery): Promise<number> {
  const { params, bind } = binder();
  const conditions = conditionsOf(spec, query, bind);
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  const { rows } = await tx.query<{ total: number }>(`select count(*)::int as total from ${quote(spec.readFrom)} ${where}`, params);
  return rows[0]?.total ?? 0;
}

/**
 * A page and how many rows match in all: one statement. An empty first page means none match; only an
 * empty later page (past the cursor) needs a count of its own, as no row carries it.
 */
export async function listRows(tx: Queryable, spec: TableSpec, query: ListQuery): Promise<Page> {
  const { text, params } = pageStatement(spec, query, true);
  const { rows } = await tx.query(text, params);
  const first = rows[0];
  const total = first !== undefined ? Number(first['__total']) : query.cursor === undefined ? 0 : await countRows(tx, spec, query);
  return { ...pageOf(rows, query), total };
}

export async function findRow(tx: Tx, spec: TableSpec, id: string): Promise<Row | null> {
  const { rows } = await tx.query(`select ${selectList(spec)} from ${quote(spec.readFrom)} where id = $1`, [id]);
  return rows[0] ?? null;
}

export async function getRow(tx: Tx, spec: TableSpec, id: string, what: string): Promise<Row> {
  const row = await findRow(tx, spec, id);
  if (!row) throw new AppError('NOT_FOUND', `no ${what} with id ${id}`, { field: 'params.id' });
  return row;
}

export async function insertRow(tx: Tx, spec: TableSpec, values: Record<string, unknown>, what: string): Promise<Row> {
  const entries = Object.entries(values).filter(([, value]) => value !== undefined);
  const { rows } = await tx.query<{ id: string }>(
    `insert into ${quote(spec.table)} (${entries.map(([column]) => quote(column)).join(', ')})
     values (${entries.map((_, index) => `$${index + 1}`).join(', ')}) returning id`,
    entries.map(([, value]) => value),
  );
  return getRow(tx, spec, String(rows[0]?.id), what);
}

/**
 * Updates with optimistic locking. Zero rows updated means one of three things, told apart so the
 * caller gets the right answer: the row is invisible (404), it is visible but the version moved on
 * (409 with the current row), or it is visible but not writable by this actor (403).
 */
export async function updateRow(
  tx: Tx,
  spec: TableSpec,
  id: string,
  expectedVersion: number | undefined,
  values: Record<string, unknown>,
  what: string,
): Promise<Row> {
  const entries = Object.entries(values).filter(([, value]) => value !== undefined);
  if (spec.versioned && expectedVersion === undefined) {
    throw new AppError('VALIDATION_FAILED', 'version is required (the version you read, as a field or an If-Match header)', { field: 'body.version' });
  }
  const params: unknown[] = [id, ...entries.map(([, value]) => value)];
  const assignments = entries.map(([column], index) => `${quote(column)} = $${index + 2}`);
  // Nothing to change still goes through the policies, so a no-op reports access and version truthfully.
  if (assignments.length === 0) assignments.push('id = id');
  let versionCheck = '';
  if (spec.versioned) {
    params.push(expectedVersion);
    versionCheck = `and version = $${params.length}`;
  }
  const { rowCount } = await tx.query(`update ${quote(spec.table)} set ${assignments.join(', ')} where id = $1 ${versionCheck}`, params);
  if (rowCount === 1) return getRow(tx, spec, id, what);
  const current = await getRow(tx, spec, id, what);
  if (spec.versioned && current['version'] !== expectedVersion) throw versionConflict(what, current, expectedVersion);
  throw new AppError('FORBIDDEN', `not allowed to change this ${what}`);
}

function versionConflict(what: string, current: Row, expectedVersion: number | undefined): AppError {
  return new AppError('VERSION_CONFLICT', `the ${what} was changed by someone else (version ${String(current['version'])}, you sent ${String(expectedVersion)})`, {
    field: 'body.version',
    current,
  });
}

/**
 * The row locked until commit, for a workflow step (a status change) decided on the state it changes,
 * at the version the caller read. `lock` selects FOR UPDATE, which under row-level security returns
 * only rows the actor may update. Invisible: 404; visible but not the actor's to change: 403 (`refusal`);
 * the version moved on: 409 VERSION_CONFLICT with the current row as `spec` reads it.
 */
export async function lockAtVersion<Locked extends { version: number }>(
  tx: Tx,
  spec: TableSpec,
  step: { id: string; what: string; expectedVersion: number; refusal: string; lock: (tx: Tx, id: string) => Promise<Locked | null> },
): Promise<Locked> {
  const locked = await step.lock(tx, step.id);
  if (!locked) {
    await getRow(tx, spec, step.id, step.what);
    throw new AppError('FORBIDDEN', step.refusal);
  }
  if (locked.version !== step.expectedVersion) throw versionConflict(step.what, await getRow(tx, spec, step.id, step.what), step.expectedVersion);
  return locked;
}

export async function deleteRow(tx: Tx, spec: TableSpec, id: string, what: string): Promise<void> {
  const { rowCount } = await tx.query(`delete from ${quote(spec.table)} where id = $1`, [id]);
  if (rowCount === 1) return;
  await getRow(tx, spec, id, what);
  throw new AppError('FORBIDDEN', `not allowed to delete this ${what}`);
}
