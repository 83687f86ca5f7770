import { useQuery } from '@tanstack/react-query';
import { personName, queries, type SessionEnrollment } from '../api/queries.ts';
import { messages } from '../messages.ts';

/** A person's name by id; the ids a page shows at once are asked for together (queries.user). */
export function PersonName({ id }: { id: string | null }) {
  const user = useQuery({ ...queries.user(id ?? ''), enabled: id !== null });
  if (id === null) return <>{messages.common.unknownPerson}</>;
  if (user.isPending) return <>…</>;
  return <>{personName(user.data) ?? messages.common.unknownPerson}</>;
}

/** An enrolled student: an account by its name, a student without an account by the name on its profile, said as such. */
export function StudentName({ enrollment }: { enrollment: Pick<SessionEnrollment, 'student_id' | 'student_profile_name'> }) {
  if (enrollment.student_id !== null) return <PersonName id={enrollment.student_id} />;
  return (
    <>
      {enrollment.student_profile_name ?? messages.session.studentWithoutAccount}
      {enrollment.student_profile_name && <span className="dimmed-line">{messages.session.withoutAccount}</span>}
    </>
  );
}
