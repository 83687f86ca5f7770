import { Alert, Anchor, Button, Group, Modal, NativeSelect, Paper, Progress, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { dataOf, fieldError } from '../../api/failure.ts';
import { queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatNumber, formatSessionDay } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { describeFailure, Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';

/** "Issue a batch": a completed session or a roster; the batch's own page then follows its progress. */
export function IssueBatchButton() {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button onClick={open}>{messages.certificateAdmin.issueBatch}</Button>
      <Modal opened={opened} onClose={close} title={messages.certificateAdmin.batchTitle}>
        {opened && <IssueBatchForm onDone={close} />}
      </Modal>
    </>
  );
}

function IssueBatchForm({ onDone }: { onDone: () => void }) {
  const navigate = useNavigate();
  const [source, setSource] = useState<'session' | 'roster'>('session');
  const [choice, setChoice] = useState('');
  const sessions = useQuery(queries.sessions({ status: 'COMPLETED' }));
  const rosters = useQuery({
    queryKey: ['rosters', 'list', 'active'],
    queryFn: () => dataOf(api.GET('/v1/rosters', { params: { query: { status: 'ACTIVE', limit: 100 } } })),
    enabled: source === 'roster',
  });
  const start = useMutation({
    mutationFn: () => dataOf(api.POST('/v1/certificate-batches', { body: source === 'session' ? { session_id: choice } : { roster_id: choice } })),
    onSuccess: (batch) => {
      onDone();
      void navigate(`/certificates/batches/${batch.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate();
  };
  const options =
    source === 'session'
      ? (sessions.data?.items ?? []).map((session) => ({ value: session.id, label: `${formatSessionDay(session.session_date)} · ${session.title}` }))
      : (rosters.data?.items ?? []).map((roster) => ({ value: roster.id, label: roster.name }));
  const label = source === 'session' ? messages.certificateAdmin.session : messages.certificateAdmin.roster;
  const choiceError = fieldError(start.error, 'session_id') ?? fieldError(start.error, 'roster_id');
  const loaded = source === 'session' ? sessions.isSuccess : rosters.isSuccess;
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Stack gap={4}>
          <Text size="sm" fw={500} id="batch-source">
            {messages.certificateAdmin.source}
          </Text>
          <SegmentedControl
            aria-labelledby="batch-source"
            value={source}
            onChange={(value) => {
              setSource(value === 'roster' ? 'roster' : 'session');
              setChoice('');
            }}
            data={[
              { value: 'session', label: messages.certificateAdmin.fromSession },
              { value: 'roster', label: messages.certificateAdmin.fromRoster },
            ]}
          />
        </Stack>
        {loaded && options.length === 0 ? (
          <Text size="sm">{source === 'session' ? messages.certificateAdmin.noCompletedSessions : messages.certificateAdmin.noRosters}</Text>
        ) : (
          <NativeSelect label={label} required value={choice} onChange={(event) => setChoice(event.currentTarget.value)} error={choiceError} data={[{ value: '', label: `— ${label} —` }, ...options]} data-autofocus />
        )}
        {start.isError && !choiceError && (
          <Alert color="red" role="alert">
            {describeFailure(start.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {messages.common.close}
          </Button>
          <Button type="submit" loading={start.isPending} disabled={choice === ''}>
            {messages.certificateAdmin.startBatch}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/**
 * A batch as it runs: its progress bar moves with the stream (each chunk the job commits changes the
 * batch row), then one result per person. Reloadable: the URL names the batch.
 */
export function CertificateBatchPage() {
  const { id = '' } = useParams();
  const batch = useQuery({ queryKey: ['certificate-batches', id], queryFn: () => dataOf(api.GET('/v1/certificate-batches/{id}', { params: { path: { id } } })) });
  const running = batch.data?.status === 'PENDING' || batch.data?.status === 'RUNNING';
  const results = useQuery({
    queryKey: ['certificate-batches', id, 'results'],
    queryFn: () => dataOf(api.GET('/v1/certificate-batches/{id}/results', { params: { path: { id }, query: { limit: 500 } } })),
    enabled: batch.isSuccess,
  });
  // Recipients' names in one request: the certificates of the batch's session or roster (an ALREADY_ISSUED
  // result points at a certificate an earlier batch or the completion made).
  const source = batch.data?.session_id ? { session_id: batch.data.session_id } : batch.data?.roster_id ? { roster_id: batch.data.roster_id } : null;
  const certificates = useQuery({
    queryKey: ['certificates', 'of', source],
    queryFn: () => dataOf(api.GET('/v1/certificates', { params: { query: { ...source, limit: 500 } } })),
    enabled: source !== null,
  });
  const session = useQuery({ ...queries.session(batch.data?.session_id ?? ''), enabled: Boolean(batch.data?.session_id) });

  if (batch.isPending) return <Loading rows={4} />;
  if (batch.isError) return <FailureNotice error={batch.error} onRetry={() => void batch.refetch()} />;
  const { total_count: total, processed_count: processed, failed_count: failed, status } = batch.data;
  const percent = total > 0 ? Math.round((processed / total) * 100) : status === 'COMPLETED' ? 100 : 0;
  const nameOf = new Map((certificates.data?.items ?? []).map((certificate) => [certificate.id, certificate.recipient_name]));
  const progressText = messages.certificateAdmin.progress(processed, total, failed);

  return (
    <Stack gap="md">
      <PageHeader
        title={messages.certificateAdmin.batch}
        actions={
          <Anchor component={Link} to="/certificates">
            {messages.certificateAdmin.allCertificates}
          </Anchor>
        }
      />
      <Paper withBorder p="md">
        <Stack gap="xs">
          <Group gap="sm">
            <StatusBadge status={status} label={messages.certificateAdmin.batchStatuses[status]} />
            {session.data && (
              <Anchor component={Link} to={`/sessions/${session.data.id}`}>
                {messages.certificateAdmin.batchOf(`${formatSessionDay(session.data.session_date)} · ${session.data.title}`)}
              </Anchor>
            )}
          </Group>
          <Text size="sm" fw={600} data-testid="batch-progress" aria-live="polite">
            {progressText}
          </Text>
          <Progress value={percent} color={failed > 0 ? 'red.8' : 'teal.8'} size="lg" aria-label={progressText} animated={running} />
          {batch.data.last_error && (
            <Text size="sm" c="red.9">
              {batch.data.last_error}
            </Text>
          )}
        </Stack>
      </Paper>
      {results.isPending ? (
        <Loading />
      ) : results.isError ? (
        <FailureNotice error={results.error} onRetry={() => void results.refetch()} />
      ) : results.data.items.length === 0 ? (
        <Empty>{messages.certificateAdmin.noResults}</Empty>
      ) : (
        <div className="table-scroll">
          <Table striped verticalSpacing="xs" data-testid="batch-results">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={50}>{messages.certificateAdmin.position}</Table.Th>
                <Table.Th>{messages.certificateAdmin.recipient}</Table.Th>
                <Table.Th>{messages.certificateAdmin.outcome}</Table.Th>
                <Table.Th>{messages.certificateAdmin.reason}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {results.data.items.map((result) => (
                <Table.Tr key={result.position}>
                  <Table.Td>{formatNumber(result.position)}</Table.Td>
                  <Table.Td>{(result.certificate_id && nameOf.get(result.certificate_id)) ?? '—'}</Table.Td>
                  <Table.Td>{result.outcome ? <StatusBadge status={result.outcome} label={messages.certificateAdmin.outcomes[result.outcome]} /> : '…'}</Table.Td>
                  <Table.Td>{result.reason ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
    </Stack>
  );
}
