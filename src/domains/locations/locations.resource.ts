import Type from 'typebox';
import { sameForEveryRole } from '../../platform/http/cached-as-caller.js';
import type { ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import { columnsOf, createBodyOf, Nullable, patchBodyOf, Text, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';

const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
const TimeZone = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*$', description: 'IANA zone, e.g. Europe/Paris' });
const LocationStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('INACTIVE')]);

const editable = {
  name: Text(200),
  address_line1: Nullable(Text(200)),
  address_line2: Nullable(Text(200)),
  city: Nullable(Text(100)),
  region: Nullable(Text(100)),
  postal_code: Nullable(Text(20)),
  country: Nullable(Country),
  timezone: TimeZone,
  status: LocationStatus,
};

export const Location = Type.Object(
  { id: Uuid, ...editable, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() },
  {
    title: 'Location',
    examples: [{
      id: '5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
      name: 'Harbour Training Centre',
      address_line1: null,
      address_line2: null,
      city: 'Leith',
      region: null,
      postal_code: null,
      country: 'GB',
      timezone: 'Europe/London',
      status: 'ACTIVE',
      created_at: '2026-11-23T13:58:47.101Z',
      updated_at: '2026-11-23T13:58:47.101Z',
      version: 1,
    }],
  },
);

const CreateLocation = createBodyOf(editable, ['name']);
const PatchLocation = patchBodyOf(editable);

export const locationsResource: ResourceDefinition<typeof CreateLocation, typeof PatchLocation> = {
  path: '/v1/locations',
  what: 'location',
  tag: 'organisation',
  table: {
    table: 'locations',
    readFrom: 'locations',
    columns: columnsOf(editable),
    filterable: ['status'],
    sortable: ['name', 'created_at'],
    versioned: true,
  },
  rowSchema: Location,
  createBody: CreateLocation,
  patchBody: PatchLocation,
  filters: { status: Type.Optional(LocationStatus) },
  defaultSort: 'name',
  updatable: true,
  deletable: true,
  // Every signed-in role reads every location: its SELECT policy tests the claims only (decision 0094).
  cachedReads: sameForEveryRole(['locations']),
};
