import Type, { type Static, type TObject, type TSchema } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { Db, Row, Tx } from '../../db/database.js';
import type { TwoLayerCache } from '../../cache/two-layer-cache.js';
import { requireSignedIn } from '../../http/authenticate.js';
import { asksNoCache, cachedAsCaller, createMemo, createPresentedOnce, type TablesByRole } from '../../http/cached-as-caller.js';
import { errorResponses } from '../../http/error-responses.js';
import { createSerializedOnce } from '../../http/serialized-once.js';
import { signedInSecurity } from '../../http/openapi.js';
import type { FieldCipher } from '../../security/field-cipher.js';
import { appendDomainEvent } from '../events/append-domain-event.js';
import { expectedVersion } from './expected-version.js';
import { presentingConflicts, withEtag } from './route-helpers.js';
import { whenReady } from '../now-or-later.js';
import { pageOf, Uuid } from './schema-types.js';
import { deleteRow, findRow, getRow, insertRow, listRows, type Page, type TableSpec, updateRow } from './crud.repository.js';

export interface ResourceContext {
  cipher: FieldCipher;
}

/** One table exposed as a REST resource; row-level security decides what each actor may do with it. */
export interface ResourceDefinition<Create extends TObject, Patch extends TObject> {
  /** e.g. `/v1/locations` */
  path: string;
  /** The singular noun used in messages, e.g. `location`; its PascalCase names the operations (`listLocations`) and the page schema. */
  what: string;
  tag: string;
  table: TableSpec;
  /** The representation returned for one row (titled: the document names it). */
  rowSchema: TObject;
  createBody: Create;
  patchBody: Patch;
  /** Query-string filters (each one a `filterable` column of the table). */
  filters: Record<string, TSchema>;
  defaultSort: string;
  /** Input to column values (encrypting personal fields, renaming). Defaults to the input as is. */
  toColumns?: (input: Record<string, unknown>, context: ResourceContext) => Record<string, unknown>;
  /** Stored row to representation (decrypting what the actor may see). Defaults to the row as is. */
  fromRow?: (row: Row, context: ResourceContext) => Record<string, unknown>;
  /** A column that records who created the row, set from the actor on create. */
  createdByColumn?: string;
  /** Rows made by a workflow of their own (enrolling, publishing) get no generic POST. Defaults to true. */
  creatable?: boolean;
  /** Link rows (a provider's location, a team's member) are created and deleted, never changed. */
  updatable: boolean;
  deletable: boolean;
  /**
   * Domain events appended in the writing transaction: `created` (payload: the stored row) and `changed`
   * (payload: the changed columns with their old and new stored values; nothing changed, no event).
   * Stored values are appended as stored: encrypted fields stay sealed.
   */
  events?: { aggregate: string; created?: string; changed?: string };
  /**
   * The tables its reads depend on, per role (the table and what its SELECT policies read): when given, a
   * list page and a row are answered from the answer cache, keyed by the caller (decision 0094).
   */
  cachedReads?: TablesByRole;
}

export interface ResourceDeps {
  db: Db;
  cipher: FieldCipher;
  /** The answer cache, for resources with `cachedReads`. */
  cache?: TwoLayerCache;
}

const IdParams = Type.Object({ id: Uuid });

/** The columns a row schema answers as date-time text (`Timestamp`). */
function timestampColumnsOf(rowSchema: TObject, columns: readonly string[]): string[] {
  const properties = rowSchema.properties as Record<string, { format?: unknown }>;
  return columns.filter((column) => properties[column]?.format === 'date-time');
}

/** The columns whose stored value differs between two reads of a row (bookkeeping columns aside), old and new. */
function changedColumns(before: Row, after: Row): { changed: string[]; previous: Row; current: Row } {
  const bookkeeping = new Set(['updated_at', 'version']);
  const same = (left: unknown, right: unknown) => JSON.stringify(left) === JSON.stringify(right);
  const changed = Object.keys(after).filter((column) => !bookkeeping.has(column) && !same(before[column], after[column]));
  return {
    changed,
    previous: Object.fromEntries(changed.map((column) => [column, before[column]])),
    current: Object.fromEntries(changed.map((column) => [column, after[column]])),
  };
}

export function registerResourceRoutes<Create extends TObject, Patch extends TObject>(
  app: FastifyInstance,
  definition: ResourceDefinition<Create, Patch>,
  deps: ResourceDeps,
): void {
  const { path, what, tag, table } = definition;
  const name = what.replace(/(?:^|\s)(\w)/g, (_match, letter: string) => letter.toUpperCase());
  const security = signedInSecurity;
  const rowSchema = 'title' in definition.rowSchema ? definition.rowSchema : { ...definition.rowSchema, title: name };
  const createBody = { ...definition.createBody, title: `New${name}` };
  const patchBody = { ...definition.patchBody, title: `${name}Changes` };
  const context: ResourceContext = { cipher: deps.cipher };
  const present = (row: Row) => (definition.fromRow ? definition.fromRow(row, context) : row);
  const toColumnValues = (input: Record<string, unknown>) => (definition.toColumns ? definition.toColumns(input, context) : { ...input });
  const ListQuery = Type.Object(
    {
      ...definition.filters,
      sort: Type.Optional(Type.Union(table.sortable.map((column) => Type.Literal(column)))),
      direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
      cursor: Type.Optional(Type.String({ maxLength: 1024 })),
    },
    { additionalProperties: false },
  );
  const PageSchema = pageOf(rowSchema, `${name}Page`);
  // A list's rows go to the serializer as they are (no fromRow to read them): its timestamps are read as
  // the answer's text, not as Dates made and formatted back (decision 0078).
  const timestampsAsText = definition.fromRow ? [] : timestampColumnsOf(definition.rowSchema, table.columns);
  const setEtag = (reply: { header: (name: string, value: string) => unknown }, row: Record<string, unknown>) => {
    if (table.versioned) withEtag(reply, row as { version: unknown });
  };
  const { events } = definition;
  const cache = definition.cachedReads && deps.cache ? { in: deps.cache, tables: definition.cachedReads } : null;
  const presentPage = (page: Page) => (definition.fromRow ? { ...page, items: page.items.map(present) } : page);
  // A cache hit is the same object each time: presented and serialised once (decision 0094).
  const presentPageOnce = createPresentedOnce(presentPage);
  const presentOnce = createPresentedOnce(present);
  const sendPageOnce = createSerializedOnce();
  const sendRowOnce = createSerializedOnce();
  const pageKeyOfUrl = createMemo<string>(1_000);
  const appendEvent = async (tx: Tx, eventType: string | undefined, row: Row, payload: Record<string, unknown>) => {
    if (!events || !eventType) return;
    const aggregateVersion = typeof row['version'] === 'number' ? row['version'] : null;
    await appendDomainEvent(tx, { aggregateType: events.aggregate, aggregateId: String(row['id']), aggregateVersion, eventType, payload });
  };

  // Not async handlers: a page or row from memory is sent in this turn, without a promise (decision 0104).
  app.get(path, { schema: { operationId: `list${name}s`, tags: [tag], security, summary: `List ${what}s visible to you`, querystring: ListQuery, response: { 200: PageSchema } } }, (request, reply) => {
    const actor = requireSignedIn(request);
    const query = request.query as Static<typeof ListQuery>;
    const { sort = definition.defaultSort, direction = 'asc', limit = 50, cursor, ...filters } = query as Record<string, unknown> & {
      sort?: string;
      direction?: 'asc' | 'desc';
      limit?: number;
      cursor?: string;
    };
    const read = (after?: string | null) =>
      deps.db.reader.withActor(actor, (tx) => listRows(tx, table, { filters, sort, direction, limit, cursor, timestampsAsText }), after);
    if (!cache) return read().then(presentPage);
    // The query as validated, filters in name order: one key per distinct page. The validated query is a
    // function of the URL alone, so its key is kept by the URL (decision 0110: the text was made every time);
    // not for a page after the first, whose cursor is seldom asked again and would crowd out the first pages.
    const pageKey = () => {
      const named = Object.keys(filters).sort().map((filter) => [filter, filters[filter]]);
      return `${path}?${JSON.stringify([sort, direction, limit, cursor ?? null, named])}`;
    };
    const key = cursor === undefined ? pageKeyOfUrl(request.url, pageKey) : pageKey();
    const page = cachedAsCaller(cache.in, actor, key, cache.tables[actor.role], read, { noCache: asksNoCache(request) });
    return whenReady(page, (ready) => void sendPageOnce(reply, presentPageOnce(ready)));
  });

  app.get(`${path}/:id`, { schema: { operationId: `get${name}`, tags: [tag], security, summary: `Read one ${what}`, params: IdParams, response: { 200: rowSchema, ...errorResponses(404) } } }, (request, reply) => {
    const actor = requireSignedIn(request);
    const { id } = request.params as Static<typeof IdParams>;
    const read = (after?: string | null) => deps.db.reader.withActor(actor, (tx) => getRow(tx, table, id, what), after);
    if (!cache) {
      return read().then((loaded) => {
        const row = present(loaded);
        setEtag(reply, row);
        return row;
      });
    }
    const cached = cachedAsCaller(cache.in, actor, `${path}/${id}`, cache.tables[actor.role], read, { noCache: asksNoCache(request) });
    return whenReady(cached, (ready) => {
      const row = presentOnce(ready);
      setEtag(reply, row);
      sendRowOnce(reply, row);
    });
  });

  if (definition.creatable !== false) {
    app.post(path, {
        schema: {
          operationId: `create${name}`,
          tags: [tag],
          security,
          summary: `Create a ${what}`,
          body: createBody,
          response: { 201: rowSchema, ...errorResponses(403, 409, 422) },
        },
      }, async (request, reply) => {
      const actor = requireSignedIn(request);
      const values = toColumnValues(request.body as Record<string, unknown>);
      if (definition.createdByColumn) values[definition.createdByColumn] = actor.userId;
      const stored = await deps.db.withActor(actor, async (tx) => {
        const inserted = await insertRow(tx, table, values, what);
        await appendEvent(tx, events?.created, inserted, inserted);
        return inserted;
      });
      const row = present(stored);
      setEtag(reply, row);
      return reply.status(201).send(row);
    });
  }

  if (definition.updatable) {
    app.patch(
      `${path}/:id`,
      {
        schema: {
          operationId: `update${name}`,
          tags: [tag],
          security,
          summary: `Change a ${what} (send the version you read)`,
          params: IdParams,
          body: patchBody,
          response: { 200: rowSchema, ...errorResponses(403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const actor = requireSignedIn(request);
        const { id } = request.params as Static<typeof IdParams>;
        const { version, ...changes } = request.body as Record<string, unknown> & { version?: number };
        const expected = expectedVersion(request, version);
        const values = toColumnValues(changes);
        const stored = await presentingConflicts(present, () =>
          deps.db.withActor(actor, async (tx) => {
            const before = events?.changed ? await findRow(tx, table, id) : null;
            const updated = await updateRow(tx, table, id, expected, values, what);
            const difference = before ? changedColumns(before, updated) : null;
            if (difference && difference.changed.length > 0) await appendEvent(tx, events?.changed, updated, difference);
            return updated;
          }),
        );
        const row = present(stored);
        setEtag(reply, row);
        return row;
      },
    );
  }

  if (definition.deletable) {
    app.delete(`${path}/:id`, {
        schema: {
          operationId: `delete${name}`,
          tags: [tag],
          security,
          summary: `Delete a ${what}`,
          params: IdParams,
          response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses(403, 404, 409) },
        },
      }, async (request, reply) => {
      const actor = requireSignedIn(request);
      const { id } = request.params as Static<typeof IdParams>;
      await deps.db.withActor(actor, (tx) => deleteRow(tx, table, id, what));
      return reply.status(204).send();
    });
  }
}
