import { Group, Progress, Text } from '@mantine/core';
import { messages } from '../messages.ts';

/** "18 / 20 · 5 waitlisted" with a bar coloured by fill: the one place colour says how full a session is. */
export function CapacityBar({ enrolled, capacity, waitlisted }: { enrolled: number; capacity: number; waitlisted: number }) {
  const fill = capacity > 0 ? Math.min(100, Math.round((enrolled / capacity) * 100)) : 0;
  const color = fill >= 100 ? 'red.8' : fill >= 80 ? 'orange.8' : 'teal.8';
  const label = messages.session.fill(enrolled, capacity, waitlisted);
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={600} data-testid="capacity-text">
          {label}
        </Text>
      </Group>
      <Progress value={fill} color={color} size="md" aria-label={label} />
    </div>
  );
}
