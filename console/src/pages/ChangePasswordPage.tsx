import { Alert, Button, Paper, PasswordInput, Stack } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiFailure, dataOf, fieldError } from '../api/failure.ts';
import { api } from '../api/session.ts';
import { messages } from '../messages.ts';
import { PageHeader } from '../ui/PageHeader.tsx';
import { describeFailure } from '../ui/states.tsx';

export default function ChangePasswordPage() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation({ mutationFn: () => dataOf(api.POST('/v1/me/password', { body: { current_password: current, new_password: next } })) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate();
  };
  const unplaced = change.error instanceof ApiFailure && !change.error.field;
  return (
    <>
      <PageHeader title={messages.account.changePassword} />
      <Paper withBorder p="md" maw={420}>
        <form onSubmit={submit} noValidate>
          <Stack>
            {change.isSuccess && <Alert color="teal">{messages.account.passwordChanged}</Alert>}
            {unplaced && <Alert color="red">{describeFailure(change.error)}</Alert>}
            <PasswordInput label={messages.account.currentPassword} autoComplete="current-password" value={current} onChange={(event) => setCurrent(event.currentTarget.value)} error={fieldError(change.error, 'current_password')} />
            <PasswordInput label={messages.account.newPassword} autoComplete="new-password" value={next} onChange={(event) => setNext(event.currentTarget.value)} error={fieldError(change.error, 'new_password')} />
            <Button type="submit" loading={change.isPending}>
              {messages.account.save}
            </Button>
          </Stack>
        </form>
      </Paper>
    </>
  );
}
