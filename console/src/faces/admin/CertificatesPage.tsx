import { Anchor, Button, Group, Modal, NativeSelect, Stack, Table, Text, Textarea, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import type { operations } from '../../../../client/index.ts';
import { ApiFailure, dataOf, fieldError } from '../../api/failure.ts';
import { queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatDate, formatSessionDay } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Pager, useSearchFilters } from '../../ui/Pager.tsx';
import { describeFailure, Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { ActionsHeader } from '../../ui/ListRow.tsx';
import { IssueBatchButton } from './CertificateBatch.tsx';

type CertificateQuery = NonNullable<operations['listCertificates']['parameters']['query']>;
export type Certificate = operations['listCertificates']['responses'][200]['content']['application/json']['items'][number];
type RevokeCode = NonNullable<operations['revokeCertificate']['requestBody']>['content']['application/json']['reason_code'];
const statuses = ['ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED'] as const;
const reasonCodes: RevokeCode[] = ['ISSUED_IN_ERROR', 'SUPERSEDED', 'MISCONDUCT', 'FRAUD', 'HOLDER_REQUEST', 'OTHER'];

/** Every certificate the caller may see, filtered by status, course and expiry (in the URL); revoke; verification links. */
export function CertificatesPage() {
  const [search, set] = useSearchFilters();
  const status = search.get('status') ?? '';
  const courseId = search.get('course') ?? '';
  const expiringBefore = search.get('expiring_before') ?? '';
  const cursor = search.get('cursor') ?? '';
  const filter: CertificateQuery = {
    limit: 50,
    sort: 'issue_date',
    direction: 'desc',
    ...(statuses.includes(status as (typeof statuses)[number]) ? { status: status as (typeof statuses)[number] } : {}),
    ...(courseId ? { course_id: courseId } : {}),
    ...(expiringBefore ? { expiring_before: expiringBefore } : {}),
    ...(cursor ? { cursor } : {}),
  };
  const list = useQuery({ queryKey: ['certificates', 'list', filter], queryFn: () => dataOf(api.GET('/v1/certificates', { params: { query: filter } })) });
  const courses = useQuery(queries.courses());

  return (
    <>
      <PageHeader title={messages.certificateAdmin.title} actions={<IssueBatchButton />} />
      <Group mb="md" gap="sm" wrap="wrap" align="flex-end">
        <NativeSelect
          label={messages.certificateAdmin.status}
          value={status}
          onChange={(event) => set({ status: event.currentTarget.value })}
          data={[{ value: '', label: messages.certificateAdmin.anyStatus }, ...statuses.map((value) => ({ value, label: messages.certificateAdmin.statuses[value] ?? value }))]}
        />
        <NativeSelect
          label={messages.certificateAdmin.course}
          value={courseId}
          onChange={(event) => set({ course: event.currentTarget.value })}
          data={[{ value: '', label: messages.certificateAdmin.anyCourse }, ...(courses.data?.items ?? []).filter((course) => course.certifies).map((course) => ({ value: course.id, label: course.code }))]}
        />
        <TextInput
          type="date"
          label={messages.certificateAdmin.expiringBefore}
          value={expiringBefore}
          onChange={(event) => set({ expiring_before: event.currentTarget.value })}
          error={fieldError(list.error, 'expiring_before')}
        />
      </Group>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        list.error instanceof ApiFailure && list.error.field ? null : <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.certificateAdmin.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped verticalSpacing="xs" miw={720} className="stack-on-phone" data-testid="certificates-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.certificateAdmin.recipient}</Table.Th>
                  <Table.Th>{messages.certificateAdmin.course}</Table.Th>
                  <Table.Th>{messages.certificateAdmin.issued}</Table.Th>
                  <Table.Th>{messages.certificateAdmin.expires}</Table.Th>
                  <Table.Th>{messages.certificateAdmin.status}</Table.Th>
                  <Table.Th>{messages.certificateAdmin.verify}</Table.Th>
                  <ActionsHeader />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((certificate) => (
                  <Table.Tr key={certificate.id}>
                    <Table.Td fw={600}>
                      <Anchor component={Link} to={`/certificates/${certificate.id}`}>
                        {certificate.recipient_name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td data-label={messages.certificateAdmin.course}>{certificate.printed.course_code ?? certificate.course_name}</Table.Td>
                    <Table.Td className="nowrap" data-label={messages.certificateAdmin.issued}>{formatSessionDay(certificate.issue_date)}</Table.Td>
                    <Table.Td className="nowrap" data-label={messages.certificateAdmin.expires}>{certificate.expiry_date ? formatSessionDay(certificate.expiry_date) : '—'}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={certificate.status} label={messages.certificateAdmin.statuses[certificate.status]} />
                      {certificate.revoked_at && <div className="dimmed-line">{formatDate(certificate.revoked_at)}</div>}
                    </Table.Td>
                    <Table.Td data-label={messages.certificateAdmin.verify}>
                      <Anchor href={`/verify/${certificate.verification_code}`} target="_blank" rel="noopener" className="nowrap">
                        <span className="visually-hidden">{messages.certificateAdmin.verifyLink(certificate.recipient_name)} </span>
                        {certificate.verification_code}
                      </Anchor>
                    </Table.Td>
                    <Table.Td ta="right">{certificate.status !== 'REVOKED' && <RevokeButton certificate={certificate} />}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
          <Pager nextCursor={list.data.next_cursor} />
        </>
      )}
    </>
  );
}

/** In a table row a quiet link-like button; on a certificate's own page (`prominent`) an outlined one. */
export function RevokeButton({ certificate, prominent = false }: { certificate: Certificate; prominent?: boolean }) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button
        variant={prominent ? 'outline' : 'subtle'}
        color={prominent ? 'red.9' : 'red'}
        c="red.9"
        size={prominent ? 'sm' : 'compact-sm'}
        onClick={open}
        aria-label={messages.certificateAdmin.revokeTitle(certificate.recipient_name)}
      >
        {messages.certificateAdmin.revoke}
      </Button>
      <Modal opened={opened} onClose={close} title={messages.certificateAdmin.revokeTitle(certificate.recipient_name)}>
        {opened && <RevokeForm certificate={certificate} onDone={close} />}
      </Modal>
    </>
  );
}

function RevokeForm({ certificate, onDone }: { certificate: Certificate; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [code, setCode] = useState<RevokeCode | ''>('');
  const [reason, setReason] = useState('');
  const [version] = useState(certificate.version);
  const revoke = useMutation({
    // An empty choice goes as it is: the API's 400 names the field, and the message sits beside it.
    mutationFn: () => dataOf(api.POST('/v1/certificates/{id}/revoke', { params: { path: { id: certificate.id } }, body: { reason_code: code as RevokeCode, reason, version } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['certificates'] });
      notifications.show({ color: 'teal', message: messages.certificateAdmin.revoked });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    revoke.mutate();
  };
  // The API names the field; its schema words ("must be equal to constant") are put in the user's.
  const codeError = fieldError(revoke.error, 'reason_code') && messages.certificateAdmin.chooseReason;
  const reasonError = fieldError(revoke.error, 'reason') && messages.certificateAdmin.explainReason;
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">{messages.certificateAdmin.revokeExplain}</Text>
        {revoke.isError && !codeError && !reasonError && <Text c="red.9" role="alert">{describeFailure(revoke.error)}</Text>}
        <NativeSelect
          label={messages.certificateAdmin.reasonCode}
          required
          value={code}
          onChange={(event) => setCode(event.currentTarget.value as RevokeCode | '')}
          error={codeError}
          data={[{ value: '', label: `— ${messages.certificateAdmin.reasonCode} —` }, ...reasonCodes.map((value) => ({ value, label: messages.certificateAdmin.reasonCodes[value] ?? value }))]}
          data-autofocus
        />
        <Textarea label={messages.certificateAdmin.reasonText} required value={reason} onChange={(event) => setReason(event.currentTarget.value)} error={reasonError} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {messages.common.close}
          </Button>
          <Button type="submit" color="red.9" loading={revoke.isPending}>
            {messages.certificateAdmin.revoke}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
