import { Button, Group, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { dataOf } from '../../api/failure.ts';
import { personName, queries, type User } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { ActionsHeader } from '../../ui/ListRow.tsx';

/** "Add a person": find someone who has an account by name or e-mail, and enroll them (a full session waitlists them). */
export function AddPersonButton({ sessionId }: { sessionId: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button variant="default" size="sm" onClick={open}>
        {messages.session.addPerson}
      </Button>
      <Modal opened={opened} onClose={close} title={messages.session.addPersonTitle} size="lg">
        {opened && <FindAndEnroll sessionId={sessionId} />}
      </Modal>
    </>
  );
}

function FindAndEnroll({ sessionId }: { sessionId: string }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  // One request when the typing pauses, not one a keystroke.
  const [q] = useDebouncedValue(text.trim(), 250);
  const found = useQuery({ ...queries.users({ q }), enabled: q.length > 0, placeholderData: keepPreviousData });
  const enroll = useMutation({
    mutationFn: (user: User) => dataOf(api.POST('/v1/sessions/{id}/enrollments', { params: { path: { id: sessionId } }, body: { student_id: user.id } })),
    onSuccess: (enrollment, user) => {
      const name = personName(user) ?? messages.common.unknownPerson;
      notifications.show({
        color: 'teal',
        message: enrollment.status === 'WAITLISTED' ? messages.session.waitlistedNamed(name, enrollment.waitlist_position ?? 0) : messages.session.enrolledNamed(name),
      });
      void queryClient.invalidateQueries({ queryKey: ['enrollments'] });
      void queryClient.invalidateQueries({ queryKey: ['sessions', sessionId] });
    },
  });
  return (
    <Stack>
      <TextInput
        label={messages.session.findPerson}
        description={messages.session.findPersonHint}
        type="search"
        value={text}
        onChange={(event) => {
          enroll.reset();
          setText(event.currentTarget.value);
        }}
        data-autofocus
      />
      {enroll.isError && <FailureNotice error={enroll.error} />}
      {q.length === 0 ? null : found.isPending ? (
        <Loading rows={2} />
      ) : found.isError ? (
        <FailureNotice error={found.error} onRetry={() => void found.refetch()} />
      ) : found.data.items.length === 0 ? (
        <Empty>{messages.session.noPersonFound}</Empty>
      ) : (
        <Table verticalSpacing="xs" data-testid="person-matches">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{messages.session.person}</Table.Th>
              <ActionsHeader />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {found.data.items.map((user) => {
              const name = personName(user) ?? messages.common.unknownPerson;
              return (
                <Table.Tr key={user.id}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {name}
                    </Text>
                    {user.email && <span className="dimmed-line">{user.email}</span>}
                  </Table.Td>
                  <Table.Td ta="right">
                    <Group justify="flex-end">
                      <Button size="compact-sm" variant="light" aria-label={messages.session.enrollNamed(name)} loading={enroll.isPending && enroll.variables?.id === user.id} onClick={() => enroll.mutate(user)}>
                        {messages.session.enroll}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
