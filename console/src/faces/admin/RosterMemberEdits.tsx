import { Button, Group, Modal, NativeSelect, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Schemas } from '../../../../client/index.ts';
import { ApiFailure, dataOf, fieldError } from '../../api/failure.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { FailureNotice } from '../../ui/states.tsx';

export type RosterMember = Schemas['RosterMember'];
type Attendance = RosterMember['attendance_status'];
type Completion = RosterMember['completion_status'];
const attendanceValues: Attendance[] = ['PENDING', 'ATTENDED', 'ABSENT'];
const completionValues: Completion[] = ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED'];

export const memberName = (member: RosterMember) => [member.first_name, member.last_name].filter(Boolean).join(' ') || messages.common.unknownPerson;

/** A score field's value as the API takes it: empty clears it. */
const scoreValue = (value: number | string): number | null => (value === '' ? null : Number(value));

/** "Add a member": a person by name (and e-mail, which finds their profile at the roster's provider). */
export function AddMemberButton({ rosterId }: { rosterId: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button size="sm" onClick={open}>
        {messages.rosters.addMember}
      </Button>
      <Modal opened={opened} onClose={close} title={messages.rosters.addMember}>
        {opened && <AddMemberForm rosterId={rosterId} onDone={close} />}
      </Modal>
    </>
  );
}

function AddMemberForm({ rosterId, onDone }: { rosterId: string; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [fields, setFields] = useState({ first_name: '', last_name: '', email: '', company: '' });
  const set = (name: keyof typeof fields, value: string) => setFields((current) => ({ ...current, [name]: value }));
  const add = useMutation({
    mutationFn: () =>
      dataOf(
        api.POST('/v1/rosters/{id}/members', {
          params: { path: { id: rosterId } },
          body: { first_name: fields.first_name, last_name: fields.last_name, ...(fields.email ? { email: fields.email } : {}), ...(fields.company ? { company: fields.company } : {}) },
        }),
      ),
    onSuccess: (member) => {
      notifications.show({ color: 'teal', message: messages.rosters.added(memberName(member)) });
      void queryClient.invalidateQueries({ queryKey: ['rosters'] });
      onDone();
    },
  });
  const error = (field: keyof typeof fields) => fieldError(add.error, field);
  const fieldFailure = add.error instanceof ApiFailure && add.error.field !== null && add.error.field in fields;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {add.isError && !fieldFailure && <FailureNotice error={add.error} />}
        <TextInput label={messages.accountLinks.firstName} required value={fields.first_name} onChange={(event) => set('first_name', event.currentTarget.value)} error={error('first_name')} data-autofocus />
        <TextInput label={messages.accountLinks.lastName} required value={fields.last_name} onChange={(event) => set('last_name', event.currentTarget.value)} error={error('last_name')} />
        <TextInput label={messages.rosters.emailOptional} type="email" value={fields.email} onChange={(event) => set('email', event.currentTarget.value)} error={error('email')} />
        <TextInput label={messages.rosters.companyOptional} value={fields.company} onChange={(event) => set('company', event.currentTarget.value)} error={error('company')} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {messages.common.close}
          </Button>
          <Button type="submit" loading={add.isPending}>
            {messages.rosters.addMember}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** One dialog for the page (not one a row): a member's attendance, scores and completion, at the version read. */
export function EditMemberDialog({ member, onClose }: { member: RosterMember | null; onClose: () => void }) {
  return (
    <Modal opened={member !== null} onClose={onClose} title={member ? messages.rosters.editTitle(memberName(member)) : ''}>
      {member && <EditMemberForm key={member.id} member={member} onDone={onClose} />}
    </Modal>
  );
}

function EditMemberForm({ member, onDone }: { member: RosterMember; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [attendance, setAttendance] = useState<Attendance>(member.attendance_status);
  const [completion, setCompletion] = useState<Completion>(member.completion_status);
  const [practical, setPractical] = useState<number | string>(member.practical_score ?? '');
  const [written, setWritten] = useState<number | string>(member.written_score ?? '');
  const save = useMutation({
    mutationFn: () =>
      dataOf(
        api.PATCH('/v1/roster-members/{id}', {
          params: { path: { id: member.id } },
          body: { version: member.version, attendance_status: attendance, completion_status: completion, practical_score: scoreValue(practical), written_score: scoreValue(written) },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['rosters'] });
      onDone();
    },
  });
  const error = (field: string) => fieldError(save.error, field);
  const fieldFailure = save.error instanceof ApiFailure && save.error.field !== null && ['practical_score', 'written_score', 'attendance_status', 'completion_status'].includes(save.error.field);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {save.isError && !fieldFailure && (
          <FailureNotice
            error={save.error}
            onRetry={() => {
              void queryClient.invalidateQueries({ queryKey: ['rosters'] });
              onDone();
            }}
          />
        )}
        <NativeSelect
          label={messages.rosters.attendance}
          value={attendance}
          onChange={(event) => setAttendance(event.currentTarget.value as Attendance)}
          error={error('attendance_status')}
          data={attendanceValues.map((value) => ({ value, label: messages.rosters.memberAttendance[value] ?? value }))}
          data-autofocus
        />
        <div className="form-grid">
          <NumberInput label={messages.rosters.practical} min={0} max={100} decimalScale={2} value={practical} onChange={setPractical} error={error('practical_score')} />
          <NumberInput label={messages.rosters.written} min={0} max={100} decimalScale={2} value={written} onChange={setWritten} error={error('written_score')} />
        </div>
        <NativeSelect
          label={messages.rosters.completion}
          value={completion}
          onChange={(event) => setCompletion(event.currentTarget.value as Completion)}
          error={error('completion_status')}
          data={completionValues.map((value) => ({ value, label: messages.rosters.memberCompletion[value] ?? value }))}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {messages.common.close}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {messages.common.save}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Taking someone off a roster is destructive: it asks first. */
export function RemoveMemberDialog({ member, onClose }: { member: RosterMember | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (target: RosterMember) => dataOf(api.DELETE('/v1/roster-members/{id}', { params: { path: { id: target.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['rosters'] });
      close();
    },
  });
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <Modal opened={member !== null} onClose={close} title={member ? messages.rosters.removeTitle(memberName(member)) : ''}>
      <Stack>
        <Text>{messages.rosters.removeConfirm}</Text>
        {remove.isError && <FailureNotice error={remove.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {messages.common.close}
          </Button>
          <Button color="red.9" loading={remove.isPending} onClick={() => member && remove.mutate(member)}>
            {messages.rosters.remove}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
