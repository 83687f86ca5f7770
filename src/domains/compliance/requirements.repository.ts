import type { Tx } from '../../platform/db/database.js';
import type { NewRequirement, RequirementChange, RequirementQuery, RequirementSchema } from './compliance.schemas.js';

const columns = `id, code, name, description, applies_to_roles, tier, validity_months, weight, course_id, renewal_window_days,
  grace_days, reminder_offsets_days, demotes_on_lapse, status, created_at, updated_at, version`;

/** Requirements by role (those it owes), tier and status, by code. Every signed-in person reads them (migration 0009). */
export async function selectRequirements(tx: Tx, query: RequirementQuery): Promise<RequirementSchema[]> {
  const { rows } = await tx.query<RequirementSchema>(
    `select ${columns} from compliance_requirements
      where ($1::text is null or $1 = any (applies_to_roles))
        and ($2::text is null or tier = $2) and ($3::text is null or status = $3)
      order by code`,
    [query.role ?? null, query.tier ?? null, query.status ?? null],
  );
  return rows;
}

export async function selectRequirement(tx: Tx, id: string): Promise<RequirementSchema | undefined> {
  const { rows } = await tx.query<RequirementSchema>(`select ${columns} from compliance_requirements where id = $1`, [id]);
  return rows[0];
}

/** Inserts one; the column defaults (migrations 0005, 0046) fill what the caller left out. */
export async function insertRequirement(tx: Tx, input: NewRequirement): Promise<RequirementSchema> {
  const { rows } = await tx.query<RequirementSchema>(
    `insert into compliance_requirements (code, name, description, applies_to_roles, tier, validity_months, weight, course_id,
                                          renewal_window_days, grace_days, reminder_offsets_days, demotes_on_lapse)
     values ($1, $2, $3, $4, coalesce($5, 'basic'), $6, coalesce($7, 1), $8, coalesce($9, 90), coalesce($10, 0),
             coalesce($11, '{90,60,30,7}'::integer[]), coalesce($12, false))
     returning ${columns}`,
    [
      input.code, input.name, input.description ?? null, input.applies_to_roles, input.tier ?? null, input.validity_months ?? null,
      input.weight ?? null, input.course_id ?? null, input.renewal_window_days ?? null, input.grace_days ?? null,
      input.reminder_offsets_days ?? null, input.demotes_on_lapse ?? null,
    ],
  );
  return rows[0]!;
}

/** The fields a change may set, as they are stored; a nullable field sent as null is cleared. */
const changeable = [
  'name', 'description', 'applies_to_roles', 'tier', 'validity_months', 'weight', 'course_id', 'renewal_window_days',
  'grace_days', 'reminder_offsets_days', 'demotes_on_lapse', 'status',
] as const;

/** Applies the change when `version` is current; undefined when it is not (or the row is not there). */
export async function updateRequirement(tx: Tx, id: string, change: RequirementChange): Promise<RequirementSchema | undefined> {
  const set = changeable.filter((field) => change[field] !== undefined);
  const values = set.map((field) => change[field]);
  const { rows } = await tx.query<RequirementSchema>(
    `update compliance_requirements set ${set.map((field, index) => `${field} = $${index + 3}`).join(', ')}
      where id = $1 and version = $2 returning ${columns}`,
    [id, change.version, ...values],
  );
  return rows[0];
}

/** Everyone whose profile has one of these roles: the people a requirement's change may move. */
export async function selectPeopleInRoles(tx: Tx, roles: readonly string[]): Promise<string[]> {
  const { rows } = await tx.query<{ user_id: string }>('select user_id from profiles where role = any ($1::text[]) order by user_id', [roles]);
  return rows.map((row) => row.user_id);
}

/**
 * Recomputes these people's scores as of `asOf` in the caller's transaction, through the administrators'
 * wrapper of migration 0046 (the database refuses anyone but SA and AD).
 */
export async function recomputeScoresAsAdministrator(tx: Tx, userIds: readonly string[], asOf: Date): Promise<number> {
  const { rows: [result] } = await tx.query<{ changed: number }>(
    'select app_recompute_compliance_scores($1::uuid[], $2::timestamptz) as changed', [userIds, asOf],
  );
  return result?.changed ?? 0;
}
