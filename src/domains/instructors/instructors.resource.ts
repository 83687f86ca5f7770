import Type from 'typebox';
import type { ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import { columnsOf, createBodyOf, Nullable, patchBodyOf, Text, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';

const CertificationLevel = Type.Union(['NEW', 'TRAINEE', 'PROVISIONAL', 'CERTIFIED'].map((level) => Type.Literal(level)));
const CertificationStatus = Type.Union(['PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED'].map((status) => Type.Literal(status)));

// Instructors edit their own display name, bio and specialties; a guard trigger keeps the rest for administrators.
const changeable = {
  display_name: Text(200),
  bio: Nullable(Text(5000)),
  specialties: Type.Array(Text(100), { maxItems: 50 }),
  certification_level: CertificationLevel,
  certification_status: CertificationStatus,
  provider_id: Nullable(Uuid),
};
const fields = { user_id: Uuid, ...changeable };

export const InstructorProfile = Type.Object({ id: Uuid, ...fields, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() });
const CreateInstructorProfile = createBodyOf(fields, ['user_id', 'display_name']);
const PatchInstructorProfile = patchBodyOf(changeable);

export const instructorProfilesResource: ResourceDefinition<typeof CreateInstructorProfile, typeof PatchInstructorProfile> = {
  path: '/v1/instructor-profiles',
  what: 'instructor profile',
  tag: 'organisation',
  table: {
    table: 'instructor_profiles',
    readFrom: 'instructor_profiles',
    columns: columnsOf(fields),
    filterable: ['provider_id', 'user_id'],
    sortable: ['display_name', 'created_at'],
    versioned: true,
  },
  rowSchema: InstructorProfile,
  createBody: CreateInstructorProfile,
  patchBody: PatchInstructorProfile,
  filters: { provider_id: Type.Optional(Uuid), user_id: Type.Optional(Uuid) },
  defaultSort: 'display_name',
  updatable: true,
  deletable: true,
};
