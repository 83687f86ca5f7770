import { Anchor, Button, Group, Paper, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { notifications } from '@mantine/notifications';
import type { ApiError } from '../../../../client/index.ts';
import { ApiFailure, dataOf } from '../../api/failure.ts';
import { api, authorisedFetch } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { CopyButton } from '../../ui/CopyButton.tsx';
import { formatInstant, formatSessionDay } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { describeFailure, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { RevokeButton } from './CertificatesPage.tsx';

/** The PDF through the signed-in fetch (the route wants the bearer token, so a plain link cannot fetch it), saved under a name. */
async function downloadPdf(id: string): Promise<void> {
  const response = await authorisedFetch(`/v1/certificates/${id}/pdf`);
  if (!response.ok) throw new ApiFailure(response.status, (await response.json().catch(() => undefined)) as ApiError | undefined);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `certificate-${id}.pdf`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <Text size="sm">{children}</Text>
    </div>
  );
}

/** One certificate: holder, course, dates, status (with the revocation's reason), the PDF, the verification link to share, revoke. */
export function CertificatePage() {
  const { id = '' } = useParams();
  const certificate = useQuery({ queryKey: ['certificates', id], queryFn: () => dataOf(api.GET('/v1/certificates/{id}', { params: { path: { id } } })) });
  if (certificate.isPending) return <Loading rows={6} />;
  if (certificate.isError) return <FailureNotice error={certificate.error} onRetry={() => void certificate.refetch()} />;
  const data = certificate.data;
  const verifyUrl = new URL(`/verify/${data.verification_code}`, window.location.origin).href;
  return (
    <Stack gap="md">
      <PageHeader title={messages.certificatePage.title(data.recipient_name)} actions={data.status !== 'REVOKED' && <RevokeButton certificate={data} prominent />} />
      <Paper withBorder p="md">
        <Stack gap="md">
          <Group gap="sm" wrap="wrap">
            <StatusBadge status={data.status} label={messages.certificateAdmin.statuses[data.status]} />
            <Text fw={600}>{data.printed.course_code ? `${data.printed.course_code} · ${data.course_name}` : data.course_name}</Text>
          </Group>
          {data.status === 'REVOKED' && (
            <Text size="sm" c="red.9" data-testid="revocation">
              {messages.certificatePage.revokedOn(formatInstant(data.revoked_at), messages.certificateAdmin.reasonCodes[data.revoked_reason_code ?? 'OTHER'] ?? '')}
              {data.revoked_reason ? ` — ${data.revoked_reason}` : ''}
            </Text>
          )}
          {data.status === 'SUSPENDED' && (
            <Text size="sm" c="orange.9">
              {messages.certificatePage.suspendedOn(formatInstant(data.suspended_at))}
              {data.suspended_reason ? ` — ${data.suspended_reason}` : ''}
            </Text>
          )}
          <div className="facts-grid">
            <Fact label={messages.certificatePage.holder}>{data.recipient_name}</Fact>
            <Fact label={messages.certificateAdmin.issued}>{formatSessionDay(data.issue_date)}</Fact>
            <Fact label={messages.certificateAdmin.expires}>{data.expiry_date ? formatSessionDay(data.expiry_date) : messages.certificatePage.noExpiry}</Fact>
            <Fact label={messages.certificatePage.verified}>{messages.certificatePage.verifiedTimes(data.verification_count)}</Fact>
          </div>
          {data.session_id && (
            <Anchor component={Link} to={`/sessions/${data.session_id}`} size="sm">
              {messages.certificatePage.openSession}
            </Anchor>
          )}
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack gap="sm">
          <Text fw={600}>{messages.certificatePage.share}</Text>
          <Text size="sm" className="break-anywhere" data-testid="verify-url">
            {verifyUrl}
          </Text>
          <Group gap="sm" wrap="wrap">
            <CopyButton value={verifyUrl} size="sm" label={messages.certificatePage.copyLink} copiedLabel={messages.certificatePage.copied} />
            <Button size="sm" variant="default" component="a" href={`/verify/${data.verification_code}`} target="_blank" rel="noopener">
              {messages.certificatePage.openVerify}
            </Button>
            <Button size="sm" variant="default" onClick={() => downloadPdf(data.id).catch((error: unknown) => notifications.show({ color: 'red', message: describeFailure(error) }))}>
              {messages.certificates.pdf}
            </Button>
          </Group>
        </Stack>
      </Paper>
    </Stack>
  );
}
