import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { messages } from '../messages.ts';

export function NotFound() {
  return (
    <Stack>
      <Title order={2}>404</Title>
      <Text>{messages.common.notFound}</Text>
      <Anchor component={Link} to="/">
        {messages.common.backHome}
      </Anchor>
    </Stack>
  );
}
