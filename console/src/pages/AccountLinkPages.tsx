import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { ApiFailure, dataOf, fieldError } from '../api/failure.ts';
import { api } from '../api/session.ts';
import { messages } from '../messages.ts';
import { describeFailure } from '../ui/states.tsx';

/**
 * The pages the mailed links open, signed out: accept an invitation, reset a password, and ask for a
 * reset. The token comes after `#token=` (a fragment never reaches a server log) and is taken out of
 * the address bar once read.
 */
function useLinkToken(): string {
  const [token] = useState(() => {
    const found = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
    if (found) history.replaceState(null, '', location.pathname);
    return found;
  });
  return token;
}

function Frame({ title, children }: { title: string; children: ReactNode }) {
  document.title = `${title} · ${messages.appName}`;
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={420} maw="100%">
        <Stack>
          <Title order={1} size="h3">
            {title}
          </Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

function Unplaced({ error }: { error: unknown }) {
  if (!(error instanceof ApiFailure) || error.field) return null;
  return (
    <Alert color="red" role="alert">
      {describeFailure(error)}
    </Alert>
  );
}

const toSignIn = (
  <Anchor component={Link} to="/">
    {messages.signIn.submit}
  </Anchor>
);

export function AcceptInvitationPage() {
  const token = useLinkToken();
  const [form, setForm] = useState({ first_name: '', last_name: '', password: '' });
  const accept = useMutation({ mutationFn: () => dataOf(api.POST('/v1/invitations/accept', { body: { token, ...form } })) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept.mutate();
  };
  if (accept.isSuccess) {
    return (
      <Frame title={messages.accountLinks.invitationTitle}>
        <Text>{messages.accountLinks.invitationAccepted}</Text>
        {toSignIn}
      </Frame>
    );
  }
  const set = (name: keyof typeof form) => (event: { currentTarget: { value: string } }) => setForm((previous) => ({ ...previous, [name]: event.currentTarget.value }));
  return (
    <Frame title={messages.accountLinks.invitationTitle}>
      {!token && <Alert color="red">{messages.accountLinks.noToken}</Alert>}
      <form onSubmit={submit} noValidate>
        <Stack>
          <Unplaced error={accept.error} />
          <TextInput label={messages.accountLinks.firstName} autoComplete="given-name" value={form.first_name} onChange={set('first_name')} error={fieldError(accept.error, 'first_name')} />
          <TextInput label={messages.accountLinks.lastName} autoComplete="family-name" value={form.last_name} onChange={set('last_name')} error={fieldError(accept.error, 'last_name')} />
          <PasswordInput label={messages.account.newPassword} autoComplete="new-password" value={form.password} onChange={set('password')} error={fieldError(accept.error, 'password')} />
          <Button type="submit" loading={accept.isPending} disabled={!token}>
            {messages.accountLinks.accept}
          </Button>
        </Stack>
      </form>
    </Frame>
  );
}

export function ResetPasswordPage() {
  const token = useLinkToken();
  const [password, setPassword] = useState('');
  const reset = useMutation({ mutationFn: () => dataOf(api.POST('/v1/auth/password-reset/confirm', { body: { token, new_password: password } })) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    reset.mutate();
  };
  return (
    <Frame title={messages.accountLinks.resetTitle}>
      {reset.isSuccess ? (
        <>
          <Text>{messages.accountLinks.passwordReset}</Text>
          {toSignIn}
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            {!token && <Alert color="red">{messages.accountLinks.noToken}</Alert>}
            <Unplaced error={reset.error} />
            <PasswordInput label={messages.account.newPassword} autoComplete="new-password" value={password} onChange={(event) => setPassword(event.currentTarget.value)} error={fieldError(reset.error, 'new_password')} />
            <Button type="submit" loading={reset.isPending} disabled={!token}>
              {messages.account.save}
            </Button>
          </Stack>
        </form>
      )}
    </Frame>
  );
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const ask = useMutation({ mutationFn: () => dataOf(api.POST('/v1/auth/password-reset', { body: { email } })) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    ask.mutate();
  };
  return (
    <Frame title={messages.accountLinks.forgotTitle}>
      {ask.isSuccess ? (
        <Text role="status">{messages.accountLinks.resetMailed}</Text>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Unplaced error={ask.error} />
            <TextInput label={messages.signIn.email} type="email" autoComplete="username" value={email} onChange={(event) => setEmail(event.currentTarget.value)} error={fieldError(ask.error, 'email')} />
            <Button type="submit" loading={ask.isPending}>
              {messages.accountLinks.sendLink}
            </Button>
          </Stack>
        </form>
      )}
      {toSignIn}
    </Frame>
  );
}
