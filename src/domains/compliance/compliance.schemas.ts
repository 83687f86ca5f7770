import Type, { type Static, type TSchema } from 'typebox';
import { roles } from '../../platform/db/actor.js';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Role = Type.String({ enum: [...roles] });
const Tier = Type.String({ enum: ['basic', 'robust'], description: 'basic: owed by every tier; robust: only by profiles on the robust tier' });
const Days = (description: string) => Type.Integer({ minimum: 0, maximum: 3660, description });
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }));

/** Where a record stands today (migration 0046's compliance_record_state). */
export const recordStates = ['PENDING', 'MET', 'WAIVED', 'EXPIRING', 'GRACE', 'OVERDUE'] as const;
const RecordState = Type.String({
  enum: [...recordStates],
  description: 'PENDING: nothing held; MET, WAIVED: held; EXPIRING: held, renewal window open; GRACE: expired, still counted during the grace period; OVERDUE: expired past grace',
});

export const IdParams = Type.Object({ id: Uuid });

const requirementFields = {
  code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z0-9][A-Z0-9_-]*$', description: 'a stable code, e.g. ANNUAL-UPDATE' }),
  name: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. Attend the annual update' }),
  description: Nullable(Type.String({ maxLength: 2000 })),
  applies_to_roles: Type.Array(Role, { uniqueItems: true, maxItems: 7, description: 'the roles that owe it' }),
  tier: Tier,
  validity_months: Nullable(Type.Integer({ minimum: 1, maximum: 600, description: 'months a fulfilment stays valid; null: it never lapses' })),
  weight: Type.Number({ exclusiveMinimum: 0, maximum: 9999, description: 'its share of the compliance score' }),
  course_id: Nullable({ ...Uuid, description: 'completing this course fulfils it' }),
  renewal_window_days: Days('the renewal window opens this many days before expiry'),
  grace_days: Days('days after expiry during which it still counts, before it is OVERDUE'),
  reminder_offsets_days: Type.Array(Type.Integer({ minimum: 1, maximum: 3660 }), {
    uniqueItems: true, maxItems: 12, description: 'a reminder goes out this many days before expiry, each once',
  }),
  demotes_on_lapse: Type.Boolean({ description: 'an IC who lets it lapse past grace is proposed for IP (an SA or AD confirms)' }),
};

export const RequirementSchema = Type.Object({
  id: Uuid,
  ...requirementFields,
  status: Type.String({ enum: ['ACTIVE', 'RETIRED'] }),
  created_at: DateTime,
  updated_at: DateTime,
  version: Type.Integer(),
}, { title: 'ComplianceRequirement' });
export type RequirementSchema = Static<typeof RequirementSchema>;

/** The fields a new requirement may leave out (the table's defaults apply) and a change may set. */
const optionalRequirementFields = {
  description: Type.Optional(requirementFields.description),
  tier: Type.Optional(requirementFields.tier),
  validity_months: Type.Optional(requirementFields.validity_months),
  weight: Type.Optional(requirementFields.weight),
  course_id: Type.Optional(requirementFields.course_id),
  renewal_window_days: Type.Optional(requirementFields.renewal_window_days),
  grace_days: Type.Optional(requirementFields.grace_days),
  reminder_offsets_days: Type.Optional(requirementFields.reminder_offsets_days),
  demotes_on_lapse: Type.Optional(requirementFields.demotes_on_lapse),
};

export const NewRequirement = Type.Object({
  code: requirementFields.code,
  name: requirementFields.name,
  applies_to_roles: requirementFields.applies_to_roles,
  ...optionalRequirementFields,
}, { additionalProperties: false, title: 'NewComplianceRequirement' });
export type NewRequirement = Static<typeof NewRequirement>;

export const RequirementChange = Type.Object({
  version: Type.Integer({ minimum: 1, description: 'the version you read' }),
  name: Type.Optional(requirementFields.name),
  applies_to_roles: Type.Optional(requirementFields.applies_to_roles),
  ...optionalRequirementFields,
  status: Type.Optional(Type.String({ enum: ['ACTIVE', 'RETIRED'] })),
}, { additionalProperties: false, title: 'ComplianceRequirementChange' });
export type RequirementChange = Static<typeof RequirementChange>;

export const RequirementQuery = Type.Object({
  role: Type.Optional({ ...Role, description: 'only those this role owes' }),
  tier: Type.Optional(Tier),
  status: Type.Optional(Type.String({ enum: ['ACTIVE', 'RETIRED'] })),
}, { additionalProperties: false });
export type RequirementQuery = Static<typeof RequirementQuery>;

export const RequirementList = Type.Object({ items: Type.Array(RequirementSchema) }, { title: 'ComplianceRequirementList' });

export const RecordSchema = Type.Object({
  id: Uuid,
  user_id: Uuid,
  requirement_id: Uuid,
  requirement_code: Type.String(),
  status: Type.String({ enum: ['PENDING', 'MET', 'EXPIRED', 'WAIVED'], description: 'as recorded' }),
  state: RecordState,
  completed_at: Nullable(DateTime),
  expires_at: Nullable(DateTime),
  renewal_opens_at: Nullable({ ...DateTime, description: 'when the renewal window opens (expiry less the window)' }),
  overdue_at: Nullable({ ...DateTime, description: 'when it becomes OVERDUE (expiry plus grace)' }),
  waiver_reason: Nullable(Type.String()),
  updated_at: DateTime,
  version: Type.Integer(),
}, { title: 'ComplianceRecord' });
export type RecordSchema = Static<typeof RecordSchema>;

export const RecordInput = Type.Object({
  user_id: Uuid,
  requirement_id: Uuid,
  status: Type.String({ enum: ['MET', 'PENDING', 'WAIVED'] }),
  completed_at: Type.Optional({ ...DateTime, description: 'MET: when it was fulfilled (required)' }),
  expires_at: Type.Optional(Nullable({
    ...DateTime, description: 'MET: default completed_at plus the requirement’s validity; WAIVED: when the waiver ends (null: never)',
  })),
  waiver_reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'WAIVED: why (required)' })),
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version you read, when the record exists' })),
}, { additionalProperties: false, title: 'ComplianceRecordInput' });
export type RecordInput = Static<typeof RecordInput>;

export const RecordQuery = Type.Object({
  user_id: Type.Optional(Uuid),
  requirement_id: Type.Optional(Uuid),
  state: Type.Optional(RecordState),
  limit: Limit,
}, { additionalProperties: false });
export type RecordQuery = Static<typeof RecordQuery>;

export const RecordList = Type.Object({
  items: Type.Array(RecordSchema),
  truncated: Type.Boolean({ description: 'more records matched than `limit`' }),
}, { title: 'ComplianceRecordList' });

/** The matrix's columns, in the CSV's order. */
export const matrixColumns = [
  'provider_id', 'provider_name', 'user_id', 'first_name', 'last_name', 'role', 'compliance_tier', 'compliance_status',
  'requirement_id', 'requirement_code', 'state', 'expires_at',
] as const;

export const MatrixRow = Type.Object({
  provider_id: Nullable(Uuid),
  provider_name: Nullable(Type.String()),
  user_id: Uuid,
  first_name: Type.String(),
  last_name: Type.String(),
  role: Role,
  compliance_tier: Tier,
  compliance_status: Type.String({ enum: ['COMPLIANT', 'AT_RISK', 'NON_COMPLIANT', 'PENDING'] }),
  requirement_id: Uuid,
  requirement_code: Type.String(),
  state: RecordState,
  expires_at: Nullable(DateTime),
}, { title: 'ComplianceMatrixRow' });
export type MatrixRow = Static<typeof MatrixRow>;

export const MatrixSummaryRow = Type.Object({
  provider_id: Nullable(Uuid),
  compliance_tier: Tier,
  requirement_id: Uuid,
  requirement_code: Type.String(),
  compliant: Type.Integer({ description: 'MET or WAIVED' }),
  expiring: Type.Integer({ description: 'EXPIRING or GRACE' }),
  overdue: Type.Integer(),
  pending: Type.Integer(),
}, { title: 'ComplianceMatrixSummaryRow' });
export type MatrixSummaryRow = Static<typeof MatrixSummaryRow>;

export const MatrixQuery = Type.Object({
  provider_id: Type.Optional(Uuid),
  requirement_id: Type.Optional(Uuid),
  tier: Type.Optional(Tier),
  state: Type.Optional(RecordState),
  limit: Limit,
}, { additionalProperties: false });
export type MatrixQuery = Static<typeof MatrixQuery>;

export const MatrixSchema = Type.Object({
  as_of: DateTime,
  rows: Type.Array(MatrixRow, { description: 'one per person and requirement they owe' }),
  summary: Type.Array(MatrixSummaryRow, { description: 'how many people stand where, per provider, tier and requirement (of the rows shown)' }),
  truncated: Type.Boolean({ description: 'more rows matched than `limit`' }),
}, { title: 'ComplianceMatrix' });
export type MatrixSchema = Static<typeof MatrixSchema>;

export const TierChangeSchema = Type.Object({
  id: Uuid,
  user_id: Uuid,
  from_role: Role,
  to_role: Role,
  requirement_ids: Type.Array(Uuid, { description: 'the requirements whose lapse proposed it' }),
  status: Type.String({ enum: ['PROPOSED', 'CONFIRMED', 'DISMISSED'] }),
  decided_at: Nullable(DateTime),
  decision_note: Nullable(Type.String()),
  created_at: DateTime,
  version: Type.Integer(),
}, { title: 'ComplianceTierChange' });
export type TierChangeSchema = Static<typeof TierChangeSchema>;

export const TierChangeQuery = Type.Object({
  status: Type.Optional(Type.String({ enum: ['PROPOSED', 'CONFIRMED', 'DISMISSED'] })),
  user_id: Type.Optional(Uuid),
}, { additionalProperties: false });
export type TierChangeQuery = Static<typeof TierChangeQuery>;

export const TierChangeList = Type.Object({ items: Type.Array(TierChangeSchema) }, { title: 'ComplianceTierChangeList' });

export const TierChangeDecision = Type.Object({
  version: Type.Integer({ minimum: 1, description: 'the version you read' }),
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
}, { additionalProperties: false, title: 'ComplianceTierChangeDecision' });
export type TierChangeDecision = Static<typeof TierChangeDecision>;
