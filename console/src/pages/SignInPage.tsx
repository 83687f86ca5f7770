import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { Link } from 'react-router';
import { type FormEvent, useState } from 'react';
import { signIn } from '../api/session.ts';
import { messages } from '../messages.ts';

/** Sign in; the URL stays what was asked for, so the app opens there afterwards. */
export function SignInPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const answer = await signIn(email, password);
      if (answer.error) {
        const field = answer.error.error.details?.field?.replace(/^body\./, '');
        if (field) setFieldErrors({ [field]: answer.error.error.message });
        else setError(answer.response.status === 401 ? messages.signIn.failed : answer.error.error.message);
      }
    } catch {
      setError(messages.common.networkDown);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={380} maw="100%">
        <form onSubmit={(event) => void submit(event)} noValidate>
          <Stack>
            <Title order={1} size="h3">
              {messages.signIn.title}
            </Title>
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <TextInput label={messages.signIn.email} type="email" autoComplete="username" required value={email} onChange={(event) => setEmail(event.currentTarget.value)} error={fieldErrors['email']} />
            <PasswordInput label={messages.signIn.password} autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.currentTarget.value)} error={fieldErrors['password']} />
            <Button type="submit" loading={busy} fullWidth>
              {messages.signIn.submit}
            </Button>
            <Anchor component={Link} to="/forgot-password" size="sm">
              {messages.accountLinks.forgotLink}
            </Anchor>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
