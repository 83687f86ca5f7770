import Type from 'typebox';
import { roles } from '../../platform/db/actor.js';
import { pageOf, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';
import { maximumPasswordLength, minimumPasswordLength } from '../../platform/security/passwords.js';

export const RoleSchema = Type.Enum([...roles]);
const StatusSchema = Type.Enum(['ACTIVE', 'INACTIVE']);
const Name = Type.String({ minLength: 1, maxLength: 200 });
export const EmailSchema = Type.String({ format: 'email', maxLength: 320 });

export const UserSchema = Type.Object({
  id: Uuid,
  role: RoleSchema,
  status: StatusSchema,
  email: Type.Union([Type.String(), Type.Null()], { description: 'null where this caller may not see it' }),
  first_name: Type.Union([Type.String(), Type.Null()]),
  last_name: Type.Union([Type.String(), Type.Null()]),
  display_name: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()], { description: 'null where unknown or this caller may not see it' }),
  provider_ids: Type.Array(Uuid, { description: 'providers the user is a member of' }),
  last_login_at: Type.Union([Timestamp, Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer({ description: 'send it back to change the user (optimistic locking)' }),
}, { title: 'User' });

export const UserIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const CreateUserBody = Type.Object(
  {
    role: RoleSchema,
    email: EmailSchema,
    password: Type.Optional(Type.String({ minLength: minimumPasswordLength, maxLength: maximumPasswordLength })),
    first_name: Name,
    last_name: Name,
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 40, pattern: '^[+0-9 ()./-]+$' })),
    provider_id: Type.Optional(Type.String({ format: 'uuid', description: 'for an AP account: the provider it belongs to' })),
  },
  { title: 'CreateUserBody', additionalProperties: false },
);

export const ChangeUserBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
    role: Type.Optional(RoleSchema),
    status: Type.Optional(StatusSchema),
    first_name: Type.Optional(Name),
    last_name: Type.Optional(Name),
  },
  { title: 'ChangeUserBody', additionalProperties: false, description: 'the version read, and at least one change' },
);

export const ListUsersQuery = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    status: Type.Optional(StatusSchema),
    id: Type.Optional(
      Type.Array(Uuid, { minItems: 1, maxItems: 200, description: 'only these users (repeat the parameter): the names of a list in one request' }),
    ),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'people whose first name, last name, display name or full name starts with this (any case), or whose e-mail is exactly this where you may see e-mails: finding someone to enroll',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const UserPageSchema = pageOf(UserSchema, 'UserPage');
