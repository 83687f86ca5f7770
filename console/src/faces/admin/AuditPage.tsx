import { Code, Group, NativeSelect, Table, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { operations, Schemas } from '../../../../client/index.ts';
import { ApiFailure, dataOf, fieldError } from '../../api/failure.ts';
import { personName, queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatInstant } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Pager, useSearchFilters } from '../../ui/Pager.tsx';
import { PersonName } from '../../ui/PersonName.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';

type AuditQuery = NonNullable<operations['listAuditEntries']['parameters']['query']>;
type AuditEntry = Schemas['AuditEntry'];
/** The audited tables people ask about; the API takes any table name. */
const tables = ['training_sessions', 'session_enrollments', 'courses', 'course_schedules', 'locations', 'users', 'profiles', 'rosters', 'student_roster_members', 'certificates', 'certificate_batches'];
const operationNames = ['INSERT', 'UPDATE', 'DELETE'] as const;
/** Bookkeeping columns every row has (the row id is shown beside the change): they say nothing to a reader. */
const bookkeeping = new Set(['id', 'created_at', 'updated_at', 'version']);
const fieldsShown = 6;

/** Midnight of a day in the viewer's zone, as the instant the API filters by. */
function startOfDay(day: string): string {
  return new Date(`${day}T00:00:00`).toISOString();
}

/** An instant as the row's JSON holds it (timestamptz: "2026-12-07T10:50:15.123+00:00"); a day or a wall time alone is not one. */
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

function show(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  if (typeof value !== 'string') return JSON.stringify(value);
  // Instants in the viewer's zone, as every other date of the console; other text as it was recorded.
  return instantPattern.test(value) ? formatInstant(value) : value;
}

/** The fields a change touched: for an update the ones that differ, for an insert or a delete the row's values. */
function changedFields(entry: AuditEntry): { field: string; before: unknown; after: unknown }[] {
  const before = entry.old_values ?? {};
  const after = entry.new_values ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields
    .filter((field) => !bookkeeping.has(field) && JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => ({ field, before: before[field], after: after[field] }));
}

/** Recorded changes filtered by table, person, kind and dates (all in the URL), each shown field by field: before → after. */
export function AuditPage() {
  const [search, set] = useSearchFilters();
  const table = search.get('table') ?? '';
  const actor = search.get('actor') ?? '';
  const operation = operationNames.find((name) => name === search.get('operation'));
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const cursor = search.get('cursor') ?? '';
  const filter: AuditQuery = {
    limit: 50,
    ...(table ? { table } : {}),
    ...(actor ? { actor_id: actor } : {}),
    ...(operation ? { operation } : {}),
    ...(from ? { from: startOfDay(from) } : {}),
    ...(to ? { to: startOfDay(to) } : {}),
    ...(cursor ? { cursor } : {}),
  };
  const list = useQuery({ queryKey: ['audit', filter], queryFn: () => dataOf(api.GET('/v1/audit', { params: { query: filter } })) });
  const people = useQuery(queries.users({}));
  const fieldFailure = list.error instanceof ApiFailure && list.error.field !== null;

  return (
    <>
      <PageHeader title={messages.audit.title} />
      <Group mb="md" gap="sm" wrap="wrap" align="flex-end">
        <NativeSelect
          label={messages.audit.table}
          value={table}
          onChange={(event) => set({ table: event.currentTarget.value })}
          error={fieldError(list.error, 'table')}
          data={[{ value: '', label: messages.audit.anyTable }, ...tables.map((name) => ({ value: name, label: name }))]}
        />
        <NativeSelect
          label={messages.audit.who}
          value={actor}
          onChange={(event) => set({ actor: event.currentTarget.value })}
          error={fieldError(list.error, 'actor_id')}
          data={[
            { value: '', label: messages.audit.anyone },
            ...(people.data?.items ?? []).map((user) => ({ value: user.id, label: personName(user) ?? user.id })),
          ]}
        />
        <NativeSelect
          label={messages.audit.operation}
          value={operation ?? ''}
          onChange={(event) => set({ operation: event.currentTarget.value })}
          data={[{ value: '', label: messages.audit.anyOperation }, ...operationNames.map((name) => ({ value: name, label: messages.audit.operations[name] ?? name }))]}
        />
        <TextInput type="date" label={messages.audit.from} value={from} onChange={(event) => set({ from: event.currentTarget.value })} error={fieldError(list.error, 'from')} />
        <TextInput type="date" label={messages.audit.to} value={to} onChange={(event) => set({ to: event.currentTarget.value })} error={fieldError(list.error, 'to')} />
      </Group>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        fieldFailure ? null : <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.audit.empty}</Empty>
      ) : (
        <>
          <AuditTable entries={list.data.items} />
          <Pager nextCursor={list.data.next_cursor} />
        </>
      )}
    </>
  );
}

/** Changes as a table, field by field (before → after); `testId` names it for the page that shows it. */
export function AuditTable({ entries, testId = 'audit-table' }: { entries: AuditEntry[]; testId?: string }) {
  return (
    <div className="table-scroll">
      <Table striped verticalSpacing="xs" miw={720} className="stack-on-phone table-top" data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{messages.audit.when}</Table.Th>
            <Table.Th>{messages.audit.who}</Table.Th>
            <Table.Th>{messages.audit.what}</Table.Th>
            <Table.Th>{messages.audit.changes}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((entry) => {
            const fields = changedFields(entry);
            return (
              <Table.Tr key={entry.id}>
                <Table.Td className="nowrap">{formatInstant(entry.occurred_at)}</Table.Td>
                <Table.Td data-label={messages.audit.who}>{entry.actor_id ? <PersonName id={entry.actor_id} /> : messages.audit.system}</Table.Td>
                <Table.Td>
                  {messages.audit.operations[entry.operation]} · {entry.table_name}
                  <div className="dimmed-line">{entry.row_id}</div>
                </Table.Td>
                <Table.Td>
                  {fields.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      {messages.audit.noFieldChanges}
                    </Text>
                  ) : (
                    <ul className="change-list">
                      {fields.slice(0, fieldsShown).map(({ field, before, after }) => (
                        <li key={field}>
                          <Code>{field}</Code>{' '}
                          {entry.operation === 'UPDATE' ? (
                            <>
                              <span className="change-before">{show(before)}</span> → <span>{show(after)}</span>
                            </>
                          ) : (
                            <span>{show(entry.operation === 'DELETE' ? before : after)}</span>
                          )}
                        </li>
                      ))}
                      {fields.length > fieldsShown && <li className="dimmed-line">{messages.audit.more(fields.length - fieldsShown)}</li>}
                    </ul>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </div>
  );
}
