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

/** A status as a chip; dark text variants keep AA contrast. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <Badge color={colours[status] ?? 'gray'} variant="light" radius="sm" tt="none" c={`${colours[status] ?? 'gray'}.9`}>
      {label ?? status.replace('_', ' ').toLowerCase()}
    </Badge>
  );
}
