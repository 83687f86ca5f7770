import { Badge } from '@mantine/core';

const colours: Record<string, string> = {
  SCHEDULED: 'blue',
  IN_PROGRESS: 'orange',
  COMPLETED: 'teal',
  CANCELLED: 'gray',
  PUBLISHED: 'teal',
  DRAFT: 'gray',
  ARCHIVED: 'gray',
  ACTIVE: 'teal',
  INACTIVE: 'gray',
  ENROLLED: 'teal',
  WAITLISTED: 'orange',
  VALID: 'teal',
  ISSUED: 'teal',
  REVOKED: 'red',
  SUSPENDED: 'orange',
  EXPIRED: 'gray',
};

/** A status as a chip: the dot carries the colour, the text stays dark (AA contrast at badge size). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <Badge color={colours[status] ?? 'gray'} variant="dot" radius="sm" tt="none" c="dark.7">
      {label ?? status.replace('_', ' ').toLowerCase()}
    </Badge>
  );
}
