import Type from 'typebox';
import type { ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import { columnsOf, createBodyOf, Nullable, patchBodyOf, Text, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';

const TeamStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('ARCHIVED')]);
const fields = { name: Text(200), description: Nullable(Text(2000)), provider_id: Nullable(Uuid), lead_id: Nullable(Uuid), status: TeamStatus };

export const Team = Type.Object({ id: Uuid, ...fields, created_by: Nullable(Uuid), created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() });
const CreateTeam = createBodyOf(fields, ['name']);
const PatchTeam = patchBodyOf(fields);

export const teamsResource: ResourceDefinition<typeof CreateTeam, typeof PatchTeam> = {
  path: '/v1/teams',
  what: 'team',
  tag: 'organisation',
  table: {
    table: 'teams',
    readFrom: 'teams',
    columns: columnsOf(fields, ['created_by', 'created_at', 'updated_at', 'version']),
    filterable: ['provider_id', 'lead_id', 'status'],
    sortable: ['name', 'created_at'],
    versioned: true,
  },
  rowSchema: Team,
  createBody: CreateTeam,
  patchBody: PatchTeam,
  filters: { provider_id: Type.Optional(Uuid), lead_id: Type.Optional(Uuid), status: Type.Optional(TeamStatus) },
  defaultSort: 'name',
  createdByColumn: 'created_by',
  updatable: true,
  deletable: true,
};

const memberFields = { team_id: Uuid, user_id: Uuid };
const CreateTeamMember = createBodyOf(memberFields, ['team_id', 'user_id']);

export const teamMembersResource: ResourceDefinition<typeof CreateTeamMember, typeof CreateTeamMember> = {
  path: '/v1/team-members',
  what: 'team member',
  tag: 'organisation',
  table: {
    table: 'team_members',
    readFrom: 'team_members',
    columns: columnsOf(memberFields, ['created_at']),
    filterable: ['team_id', 'user_id'],
    sortable: ['created_at'],
    versioned: false,
  },
  rowSchema: Type.Object({ id: Uuid, ...memberFields, created_at: Timestamp }),
  createBody: CreateTeamMember,
  patchBody: CreateTeamMember,
  filters: { team_id: Type.Optional(Uuid), user_id: Type.Optional(Uuid) },
  defaultSort: 'created_at',
  updatable: false,
  deletable: true,
};
