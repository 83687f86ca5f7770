import type { Tx } from '../../platform/db/database.js';
import type { TierChangeQuery, TierChangeSchema } from './compliance.schemas.js';

const columns = 'id, user_id, from_role, to_role, requirement_ids, status, decided_at, decision_note, created_at, version';

/** Newest first; row-level security (migration 0046) decides whose: SA and AD all, an AP its affiliated people's, anyone their own. */
export async function selectTierChanges(tx: Tx, query: TierChangeQuery): Promise<TierChangeSchema[]> {
  const { rows } = await tx.query<TierChangeSchema>(
    `select ${columns} from compliance_tier_changes
      where ($1::text is null or status = $1) and ($2::uuid is null or user_id = $2)
      order by created_at desc, id limit 1000`,
    [query.status ?? null, query.user_id ?? null],
  );
  return rows;
}

export async function selectTierChange(tx: Tx, id: string): Promise<TierChangeSchema | undefined> {
  const { rows } = await tx.query<TierChangeSchema>(`select ${columns} from compliance_tier_changes where id = $1`, [id]);
  return rows[0];
}

/** Closes an open proposal at this version; undefined when it is not open at it (or not there). */
export async function decideTierChange(
  tx: Tx, id: string, decision: { status: 'CONFIRMED' | 'DISMISSED'; version: number; note: string | null; at: Date },
): Promise<TierChangeSchema | undefined> {
  const { rows } = await tx.query<TierChangeSchema>(
    `update compliance_tier_changes set status = $2, decided_at = $4, decision_note = $5
      where id = $1 and version = $3 and status = 'PROPOSED' returning ${columns}`,
    [id, decision.status, decision.version, decision.at, decision.note],
  );
  return rows[0];
}

/**
 * Moves the person to the proposed role, only from the role the proposal was made for (someone may
 * have changed it since). Row-level security on users lets SA and AD do it; the audit trigger records who.
 */
export async function applyTierChange(tx: Tx, change: TierChangeSchema): Promise<boolean> {
  const { rowCount } = await tx.query('update users set role = $3 where id = $1 and role = $2', [change.user_id, change.from_role, change.to_role]);
  return rowCount > 0;
}
