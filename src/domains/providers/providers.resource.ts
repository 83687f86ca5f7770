import Type from 'typebox';
import type { Row } from '../../platform/db/database.js';
import type { ResourceContext, ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import { columnsOf, createBodyOf, Nullable, patchBodyOf, Text, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';

const ProviderStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('SUSPENDED'), Type.Literal('INACTIVE')]);
const Email = Type.String({ format: 'email', maxLength: 254 });
const Phone = Type.String({ pattern: '^\\+?[0-9 ().-]{5,30}$' });

const stored = { name: Text(200), description: Nullable(Text(2000)), website: Nullable(Type.String({ format: 'uri', maxLength: 500 })), status: ProviderStatus };
const editable = { ...stored, contact_email: Nullable(Email), contact_phone: Nullable(Phone) };

export const Provider = Type.Object({ id: Uuid, ...editable, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() });
const CreateProvider = createBodyOf(editable, ['name']);
const PatchProvider = patchBodyOf(editable);

/** Contact details are personal data: encrypted at rest, and the view hands them back only to those who may see them. */
function toColumns(input: Record<string, unknown>, { cipher }: ResourceContext): Record<string, unknown> {
  const { contact_email: email, contact_phone: phone, ...rest } = input;
  const encrypt = (value: unknown) => (value === undefined ? undefined : value === null ? null : cipher.encrypt(String(value).trim()));
  return { ...rest, contact_email_ciphertext: encrypt(email), contact_phone_ciphertext: encrypt(phone) };
}

function fromRow(row: Row, { cipher }: ResourceContext): Record<string, unknown> {
  const { contact_email_ciphertext: email, contact_phone_ciphertext: phone, ...rest } = row;
  const decrypt = (value: unknown) => (typeof value === 'string' ? cipher.decrypt(value) : null);
  return { ...rest, contact_email: decrypt(email), contact_phone: decrypt(phone) };
}

export const providersResource: ResourceDefinition<typeof CreateProvider, typeof PatchProvider> = {
  path: '/v1/providers',
  what: 'provider',
  tag: 'organisation',
  table: {
    table: 'authorized_providers',
    readFrom: 'authorized_providers_visible',
    columns: columnsOf({ ...stored, contact_email_ciphertext: Email, contact_phone_ciphertext: Phone }),
    filterable: ['status'],
    sortable: ['name', 'created_at'],
    versioned: true,
  },
  rowSchema: Provider,
  createBody: CreateProvider,
  patchBody: PatchProvider,
  filters: { status: Type.Optional(ProviderStatus) },
  defaultSort: 'name',
  toColumns,
  fromRow,
  updatable: true,
  deletable: true,
};

const providerLocationFields = { provider_id: Uuid, location_id: Uuid };
const CreateProviderLocation = createBodyOf(providerLocationFields, ['provider_id', 'location_id']);

export const providerLocationsResource: ResourceDefinition<typeof CreateProviderLocation, typeof CreateProviderLocation> = {
  path: '/v1/provider-locations',
  what: 'provider location',
  tag: 'organisation',
  table: {
    table: 'provider_locations',
    readFrom: 'provider_locations',
    columns: columnsOf(providerLocationFields, ['created_at']),
    filterable: ['provider_id', 'location_id'],
    sortable: ['created_at'],
    versioned: false,
  },
  rowSchema: Type.Object({ id: Uuid, ...providerLocationFields, created_at: Timestamp }),
  createBody: CreateProviderLocation,
  patchBody: CreateProviderLocation,
  filters: { provider_id: Type.Optional(Uuid), location_id: Type.Optional(Uuid) },
  defaultSort: 'created_at',
  updatable: false,
  deletable: true,
};

const MemberRole = Type.Union([Type.Literal('ADMIN'), Type.Literal('STAFF'), Type.Literal('INSTRUCTOR')]);
const memberFields = { provider_id: Uuid, user_id: Uuid, member_role: MemberRole };
const CreateMember = createBodyOf(memberFields, ['provider_id', 'user_id']);
const PatchMember = patchBodyOf({ member_role: MemberRole });

export const providerMembersResource: ResourceDefinition<typeof CreateMember, typeof PatchMember> = {
  path: '/v1/provider-members',
  what: 'provider member',
  tag: 'organisation',
  table: {
    table: 'provider_members',
    readFrom: 'provider_members',
    columns: columnsOf(memberFields),
    filterable: ['provider_id', 'user_id'],
    sortable: ['created_at'],
    versioned: true,
  },
  rowSchema: Type.Object({ id: Uuid, ...memberFields, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() }),
  createBody: CreateMember,
  patchBody: PatchMember,
  filters: { provider_id: Type.Optional(Uuid), user_id: Type.Optional(Uuid) },
  defaultSort: 'created_at',
  updatable: true,
  deletable: true,
};
