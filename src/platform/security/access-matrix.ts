import { accountsAccess } from './access-matrix.accounts.js';
import { identityAccess } from './access-matrix.identity.js';
import {
  domainTables,
  isIn,
  Scope,
  World,
  type DomainTable,
  type HiddenFieldRule,
  type MatrixActor,
  type Operation,
  type Row,
  type Snapshot,
  type TableAccess,
} from './access-matrix.model.js';
import { recordsAccess } from './access-matrix.records.js';
import { trainingAccess } from './access-matrix.training.js';

/**
 * The access matrix: who may select, insert, update and delete which rows of every domain table,
 * and which fields each actor reads as null. The single source of truth: migration 0009's policies
 * implement these rules one policy per rule, docs/access-matrix.md is generated from them
 * (`npm run docs:matrix`), and the tests compare PostgreSQL's behaviour with them row by row.
 */

export * from './access-matrix.model.js';

export const accessMatrix: readonly TableAccess[] = [...identityAccess, ...trainingAccess, ...recordsAccess, ...accountsAccess];

const accessByTable = new Map(accessMatrix.map((access) => [access.table, access]));

export function accessOf(table: DomainTable): TableAccess {
  const access = accessByTable.get(table);
  if (!access) throw new Error(`the access matrix has no entry for ${table}`);
  return access;
}

const isAdmin = (scope: Scope) => scope.actor.role === 'SA' || scope.actor.role === 'AD';

/**
 * Hidden fields, read through `<table>_visible` views. Each rule says who sees its columns, so a
 * role added later sees nothing until a rule says otherwise.
 */
export const hiddenFieldRules: readonly HiddenFieldRule[] = [
  {
    id: 'users.contact',
    table: 'users',
    columns: ['email_ciphertext', 'email_hmac'],
    words: 'SA, AD and the account itself (AP, IC and IP never see another person’s e-mail)',
    visible: (row, scope) => isAdmin(scope) || scope.isMe(row['id']),
  },
  {
    id: 'profiles.contact',
    table: 'profiles',
    columns: ['phone_ciphertext', 'email_ciphertext'],
    words: 'SA, AD and the person themselves (AP, IC and IP never see another person’s phone or e-mail)',
    visible: (row, scope) => isAdmin(scope) || scope.isMe(row['user_id']),
  },
  {
    id: 'profiles.organization',
    table: 'profiles',
    columns: ['organization'],
    words: 'everyone who sees the profile except IC, who sees only their own',
    visible: (row, scope) => scope.actor.role !== 'IC' || scope.isMe(row['user_id']),
  },
  {
    id: 'profiles.line_management',
    table: 'profiles',
    columns: ['supervisor_id', 'department'],
    words: 'everyone who sees the profile except IT and IN (not even their own)',
    visible: (_row, scope) => scope.actor.role !== 'IT' && scope.actor.role !== 'IN',
  },
  {
    id: 'authorized_providers.contact',
    table: 'authorized_providers',
    columns: ['contact_email_ciphertext', 'contact_phone_ciphertext'],
    words: 'SA, AD and the provider’s own AP',
    visible: (row, scope) => isAdmin(scope) || (scope.actor.role === 'AP' && isIn(scope.providers, row['id'])),
  },
  {
    id: 'student_enrollment_profiles.contact',
    table: 'student_enrollment_profiles',
    columns: ['email_ciphertext', 'email_hmac', 'phone_ciphertext'],
    words: 'SA and AD only',
    visible: (_row, scope) => isAdmin(scope),
  },
  {
    id: 'certificates.recipient_email',
    table: 'certificates',
    columns: ['recipient_email_ciphertext'],
    words: 'SA, AD, AP and the recipient',
    visible: (row, scope) => isAdmin(scope) || scope.actor.role === 'AP' || scope.isMe(row['user_id']),
  },
];

/** Tables read through a `<table>_visible` view. */
export const tablesWithHiddenFields: readonly DomainTable[] = domainTables.filter((table) => hiddenFieldRules.some((rule) => rule.table === table));

const worlds = new WeakMap<Snapshot, { world: World; scopes: Map<string, Scope> }>();

function scopeFor(snapshot: Snapshot, actor: MatrixActor): Scope {
  let entry = worlds.get(snapshot);
  if (!entry) {
    entry = { world: new World(snapshot), scopes: new Map() };
    worlds.set(snapshot, entry);
  }
  const key = `${actor.role}:${actor.userId ?? ''}`;
  let scope = entry.scopes.get(key);
  if (!scope) {
    scope = new Scope(entry.world, actor);
    entry.scopes.set(key, scope);
  }
  return scope;
}

/** Whether the matrix lets `actor` do `operation` on `row` (one row of `table` in `snapshot`). */
export function allows(table: DomainTable, operation: Operation, actor: MatrixActor, row: Row, snapshot: Snapshot): boolean {
  const access = accessOf(table);
  const scope = scopeFor(snapshot, actor);
  const permits = (op: Operation, s: Scope) => access.rules[op].some((rule) => rule.roles.includes(actor.role) && rule.allows(row, s));
  switch (operation) {
    case 'select':
      return permits('select', scope);
    // An INSERT is checked against the world without the row it adds.
    case 'insert':
      return permits('insert', new Scope(scope.world.without(table, row), actor));
    // UPDATE and DELETE reach only rows the actor can see (PostgreSQL applies the SELECT policies too).
    case 'update':
    case 'delete':
      return permits('select', scope) && permits(operation, scope);
  }
}

/** The primary keys (as strings) of the rows of `table` the matrix lets `actor` do `operation` on. */
export function expectedRows(table: DomainTable, operation: Operation, actor: MatrixActor, snapshot: Snapshot): string[] {
  const { primaryKey } = accessOf(table);
  return snapshot[table].filter((row) => allows(table, operation, actor, row, snapshot)).map((row) => String(row[primaryKey]));
}

/** The columns of `row` that `actor` reads as null through `<table>_visible`. */
export function hiddenColumns(table: DomainTable, actor: MatrixActor, row: Row, snapshot: Snapshot): string[] {
  const scope = scopeFor(snapshot, actor);
  return hiddenFieldRules.filter((rule) => rule.table === table && !rule.visible(row, scope)).flatMap((rule) => rule.columns);
}
