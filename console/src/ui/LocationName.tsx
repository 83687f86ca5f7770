import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.ts';

export function LocationName({ id, withZone = false }: { id: string; withZone?: boolean }) {
  const location = useQuery(queries.location(id));
  if (!location.data) return <>…</>;
  return (
    <>
      {location.data.name}
      {withZone ? ` (${location.data.timezone})` : ''}
    </>
  );
}
