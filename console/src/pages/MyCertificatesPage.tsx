import { Anchor, Button, Card, Group, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { dataOf } from '../api/failure.ts';
import { api, authorisedFetch, currentUser } from '../api/session.ts';
import { messages } from '../messages.ts';
import { formatSessionDay } from '../ui/format.ts';
import { PageHeader } from '../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../ui/states.tsx';
import { StatusBadge } from '../ui/StatusBadge.tsx';

/** The certificate fields this page shows (the API's list answer is not typed in the client yet). */
interface CertificateSummary {
  id: string;
  status: string;
  course_name: string;
  issue_date: string;
  expiry_date: string | null;
  verification_url: string;
}

export default function MyCertificatesPage() {
  const user = currentUser();
  const list = useQuery({
    queryKey: ['certificates', 'mine', user?.id],
    queryFn: async () => (await dataOf(api.GET('/v1/certificates', { params: { query: { user_id: user?.id ?? '', limit: 100 } } }))) as unknown as { items: CertificateSummary[] },
  });
  const download = async (id: string) => {
    const response = await authorisedFetch(`/v1/certificates/${id}/pdf`);
    if (!response.ok) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = `certificate-${id}.pdf`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };
  return (
    <>
      <PageHeader title={messages.certificates.title} />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.certificates.empty}</Empty>
      ) : (
        <Stack gap="sm">
          {list.data.items.map((certificate) => (
            <Card key={certificate.id} withBorder padding="md">
              <Group justify="space-between" wrap="wrap">
                <div>
                  <Text fw={600}>{certificate.course_name}</Text>
                  <Text size="sm">
                    {messages.certificates.issued}: {formatSessionDay(certificate.issue_date)} · {messages.certificates.expires}: {certificate.expiry_date ? formatSessionDay(certificate.expiry_date) : '—'}
                  </Text>
                </div>
                <StatusBadge status={certificate.status} />
              </Group>
              <Group mt="sm" gap="sm">
                <Button size="xs" variant="light" onClick={() => void download(certificate.id)}>
                  {messages.certificates.pdf}
                </Button>
                <Anchor href={certificate.verification_url} size="sm">
                  {messages.certificates.verify}
                </Anchor>
              </Group>
            </Card>
          ))}
        </Stack>
      )}
    </>
  );
}
