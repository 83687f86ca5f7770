import { useQuery } from '@tanstack/react-query';
import { personName, queries } from '../api/queries.ts';
import { messages } from '../messages.ts';

/** A person's name, fetched by id (the enrollment lists carry ids only). */
export function PersonName({ id }: { id: string | null }) {
  const user = useQuery({ ...queries.user(id ?? ''), enabled: id !== null });
  if (id === null) return <>—</>;
  if (user.isPending) return <>…</>;
  return <>{personName(user.data) ?? messages.common.unknownPerson}</>;
}
