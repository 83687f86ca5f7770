import Type from 'typebox';
import { roles } from '../../platform/db/actor.js';
import { maximumPasswordLength, minimumPasswordLength } from '../../platform/security/passwords.js';
import { Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';
import { invitationStatuses } from './invitations.repository.js';

const Email = Type.String({ format: 'email', maxLength: 320 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const NewPassword = Type.String({ minLength: minimumPasswordLength, maxLength: maximumPasswordLength, description: `at least ${minimumPasswordLength} characters` });
/** The token of a mailed link (the part after `#token=`): 43 characters today; anything far longer is no token of ours. */
const LinkToken = Type.String({ minLength: 1, maxLength: 256, description: 'the token from the link, after #token=' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const NullableUuid = Type.Union([Uuid, Type.Null()]);

export const InvitationStatusSchema = Type.Enum([...invitationStatuses], {
  description: 'PENDING: mailed or about to be, not used yet; ACCEPTED: the account exists; REVOKED: ended by an administrator; EXPIRED: pending past expires_at',
});

export const InvitationSchema = Type.Object({
  id: Uuid,
  email: Type.String(),
  role: Type.Enum([...roles]),
  provider_id: Type.Union([Uuid, Type.Null()], { description: 'the provider an AP is invited into; null for other roles' }),
  status: InvitationStatusSchema,
  expires_at: Timestamp,
  mailed_at: Type.Union([Timestamp, Type.Null()], { description: 'when the latest link was handed to the mail server or the outbox; null until then' }),
  invited_by: NullableUuid,
  accepted_user_id: NullableUuid,
  accepted_at: NullableTimestamp,
  revoked_by: NullableUuid,
  revoked_at: NullableTimestamp,
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
});

export const CreateInvitationBody = Type.Object(
  {
    email: Email,
    role: Type.Enum([...roles]),
    provider_id: Type.Optional(Type.String({ format: 'uuid', description: 'required for an AP invitation (the provider it joins), refused for other roles' })),
  },
  { additionalProperties: false },
);

export const InvitationIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const ListInvitationsQuery = Type.Object(
  {
    status: Type.Optional(InvitationStatusSchema),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'next_cursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const InvitationPageSchema = Type.Object({
  items: Type.Array(InvitationSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer(),
});

export const AcceptInvitationBody = Type.Object(
  { token: LinkToken, password: NewPassword, first_name: Name, last_name: Name },
  { additionalProperties: false },
);

export const PasswordResetRequestBody = Type.Object({ email: Email }, { additionalProperties: false });

export const PasswordResetAccepted = Type.Object({
  message: Type.String({ description: 'the same words whether the address has an account or not' }),
});

export const PasswordResetConfirmBody = Type.Object({ token: LinkToken, new_password: NewPassword }, { additionalProperties: false });
