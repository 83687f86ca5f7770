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
  PAUSED: 'orange',
  ENDED: 'gray',
  ALREADY_ENROLLED: 'gray',
  INVALID: 'red',
  ALREADY_ISSUED: 'gray',
  NOT_ELIGIBLE: 'red',
  PENDING: 'gray',
  RUNNING: 'orange',
  SUCCEEDED: 'teal',
  FAILED: 'red',
  DEAD: 'red',
};

/** A status as a chip: the dot carries the colour, the text stays dark (AA contrast at badge size). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <Badge color={colours[status] ?? 'gray'} variant="dot" radius="sm" tt="none" c="dark.7" className="status-badge">
      {label ?? status.replace('_', ' ').toLowerCase()}
    </Badge>
  );
}
