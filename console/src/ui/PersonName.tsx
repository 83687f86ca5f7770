import { useQueries, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useMemo } from 'react';
import { personName, queries, type SessionEnrollment, type User } from '../api/queries.ts';
import { messages } from '../messages.ts';

/** A person's name by id; the ids a page shows at once are asked for together (queries.user). */
export function PersonName({ id }: { id: string | null }) {
  const user = useQuery({ ...queries.user(id ?? ''), enabled: id !== null });
  if (id === null) return <>{messages.common.unknownPerson}</>;
  if (user.isPending) return <>…</>;
  return <>{personName(user.data) ?? messages.common.unknownPerson}</>;
}

/** An enrolled student's name as `useStudentNames` gives it, and, for a student without an account, a line saying so. */
export function StudentLabel({ row, name }: { row: Pick<SessionEnrollment, 'student_id' | 'student_profile_name'>; name: string }) {
  return (
    <>
      {name}
      {row.student_id === null && row.student_profile_name && <span className="dimmed-line">{messages.session.withoutAccount}</span>}
    </>
  );
}

/** Each lookup's name: undefined while it is on its way, null when the person could not be named. */
function namesOf(results: UseQueryResult<User>[]): (string | null | undefined)[] {
  return results.map((result) => (result.isPending ? undefined : personName(result.data)));
}

/**
 * The names of a list's students, from one hook for the whole list rather than a query per row (the
 * lookups still share queries.user's per-person cache and go out in one request). Gives each row its name
 * as text: "…" while it loads, the profile's name for a student without an account.
 */
export function useStudentNames(rows: Pick<SessionEnrollment, 'student_id' | 'student_profile_name'>[]): (row: Pick<SessionEnrollment, 'student_id' | 'student_profile_name'>) => string {
  const ids = useMemo(() => [...new Set(rows.flatMap((row) => (row.student_id === null ? [] : [row.student_id])))], [rows]);
  const names = useQueries({ queries: ids.map((id) => queries.user(id)), combine: namesOf });
  const byId = useMemo(() => new Map(ids.map((id, index) => [id, names[index]])), [ids, names]);
  return useCallback(
    (row) => {
      if (row.student_id === null) return row.student_profile_name ?? messages.session.studentWithoutAccount;
      const name = byId.get(row.student_id);
      return name === undefined ? '…' : (name ?? messages.common.unknownPerson);
    },
    [byId],
  );
}
