import { useQuery } from '@tanstack/react-query';
import { personName, queries } from '../api/queries.ts';
import { messages } from '../messages.ts';

/** A person's name by id (the enrollment lists carry ids only); the ids a page shows at once are asked for together (queries.user). */
export function PersonName({ id }: { id: string | null }) {
  const user = useQuery({ ...queries.user(id ?? ''), enabled: id !== null });
  // A student enrolled by e-mail without an account: the enrollment lists do not carry the profile's name.
  if (id === null) return <>{messages.session.studentWithoutAccount}</>;
  if (user.isPending) return <>…</>;
  return <>{personName(user.data) ?? messages.common.unknownPerson}</>;
}
