import { Button, Checkbox, FileInput, Group, Modal, Stack, Table, Text, Textarea } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { ApiError, Schemas } from '../../../../client/index.ts';
import { ApiFailure, fieldError } from '../../api/failure.ts';
import { authorisedFetch } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { FailureNotice } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';

type Report = Schemas['EnrollmentBatchReport'];

/** The import route takes the file as it is (text/csv): the server parses it and reports by line. */
async function importCsv(sessionId: string, csv: string, allOrNothing: boolean): Promise<Report> {
  let response: Response;
  try {
    response = await authorisedFetch(`/v1/sessions/${sessionId}/enrollments/import${allOrNothing ? '?all_or_nothing=true' : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
  } catch {
    throw new ApiFailure(0, undefined);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiFailure(response.status, body as ApiError | undefined);
  return body as Report;
}

/** "Add people": a CSV (pasted or chosen), then one result per row — enrolled, waitlisted at #n, already there, or why not. */
export function EnrollmentImport({ sessionId }: { sessionId: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button variant="default" size="sm" onClick={open}>
        {messages.enrollImport.open}
      </Button>
      <Modal opened={opened} onClose={close} title={messages.enrollImport.title} size="xl">
        {opened && <ImportForm sessionId={sessionId} onDone={close} />}
      </Modal>
    </>
  );
}

function ImportForm({ sessionId, onDone }: { sessionId: string; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [csv, setCsv] = useState('');
  const [allOrNothing, setAllOrNothing] = useState(false);
  const send = useMutation({
    mutationFn: () => importCsv(sessionId, csv, allOrNothing),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['enrollments'] });
      void queryClient.invalidateQueries({ queryKey: ['sessions', sessionId] });
    },
  });
  const chooseFile = (file: File | null) => {
    if (file) void file.text().then(setCsv);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    send.mutate();
  };
  // The line of the file each result names (the header is line 1), shown so the result says whose it is.
  const lines = csv.split(/\r?\n/);
  const fileError = fieldError(send.error, 'file');

  return (
    <Stack>
      <form onSubmit={submit}>
        <Stack gap="sm">
          <Text size="sm">{messages.enrollImport.explain}</Text>
          <FileInput label={messages.enrollImport.file} placeholder={messages.enrollImport.choose} accept=".csv,text/csv" onChange={chooseFile} clearable />
          <Textarea
            label={messages.enrollImport.csv}
            description={messages.enrollImport.csvHint}
            autosize
            minRows={4}
            maxRows={12}
            value={csv}
            onChange={(event) => setCsv(event.currentTarget.value)}
            error={fileError}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            data-autofocus
          />
          <Checkbox label={messages.enrollImport.allOrNothing} checked={allOrNothing} onChange={(event) => setAllOrNothing(event.currentTarget.checked)} />
          {send.isError && !fileError && <FailureNotice error={send.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onDone}>
              {messages.common.close}
            </Button>
            <Button type="submit" loading={send.isPending} disabled={csv.trim() === ''}>
              {messages.enrollImport.submit}
            </Button>
          </Group>
        </Stack>
      </form>
      {send.data && <ImportReport report={send.data} lines={lines} />}
    </Stack>
  );
}

function ImportReport({ report, lines }: { report: Report; lines: string[] }) {
  const { counts } = report;
  return (
    <Stack gap="xs" data-testid="import-report">
      <Text fw={600} role="status">
        {messages.enrollImport.summary(counts)}
      </Text>
      <div className="table-scroll">
        <Table striped verticalSpacing="xs" className="stack-on-phone">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={70}>{messages.enrollImport.line}</Table.Th>
              <Table.Th>{messages.enrollImport.outcome}</Table.Th>
              <Table.Th>{messages.enrollImport.detail}</Table.Th>
              <Table.Th>{messages.enrollImport.row}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.results.map((result, index) => {
              const line = result.line ?? result.row ?? index + 2;
              return (
                <Table.Tr key={`${line}-${index}`} data-outcome={result.outcome}>
                  <Table.Td data-label={messages.enrollImport.line}>{line}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={result.outcome} label={messages.enrollImport.outcomes[result.outcome]} />
                  </Table.Td>
                  <Table.Td>
                    {result.outcome === 'WAITLISTED' && result.waitlist_position !== null
                      ? messages.enrollImport.position(result.waitlist_position)
                      : (result.reason ?? (result.profile_created ? messages.enrollImport.profileCreated : ''))}
                  </Table.Td>
                  <Table.Td className="cell-clip">{lines[line - 1] ?? ''}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </div>
    </Stack>
  );
}
