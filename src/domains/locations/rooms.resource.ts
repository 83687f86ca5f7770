import Type from 'typebox';
import type { ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import { columnsOf, createBodyOf, patchBodyOf, Text, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';

const RoomCapacity = Type.Integer({ minimum: 1, maximum: 100_000, description: 'seats; a session in the room seats no more' });

const editable = { name: Text(200), capacity: RoomCapacity };
const fields = { location_id: Uuid, ...editable };

export const Room = Type.Object(
  { id: Uuid, ...fields, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() },
  {
    title: 'Room',
    description: 'a room at a location; the database refuses two overlapping non-cancelled sessions in one room (migration 0039)',
    examples: [{
      id: '2d4f6a8c-1b3e-4d5f-8a7c-9e0b1d2f3a4c',
      location_id: '5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
      name: 'Room 2',
      capacity: 16,
      created_at: '2026-12-06T07:10:00.000Z',
      updated_at: '2026-12-06T07:10:00.000Z',
      version: 1,
    }],
  },
);

const CreateRoom = createBodyOf(fields, ['location_id', 'name', 'capacity']);
// A room stays at its location: sessions name it with their location (a composite reference).
const PatchRoom = patchBodyOf(editable);

/** Rooms of locations; `?location_id=` lists one location's. Row-level security: admins and the location's AP manage them. */
export const roomsResource: ResourceDefinition<typeof CreateRoom, typeof PatchRoom> = {
  path: '/v1/rooms',
  what: 'room',
  tag: 'organisation',
  table: {
    table: 'rooms',
    readFrom: 'rooms',
    columns: columnsOf(fields),
    filterable: ['location_id'],
    sortable: ['name', 'created_at'],
    versioned: true,
  },
  rowSchema: Room,
  createBody: CreateRoom,
  patchBody: PatchRoom,
  filters: { location_id: Type.Optional(Uuid) },
  defaultSort: 'name',
  updatable: true,
  deletable: true,
};
