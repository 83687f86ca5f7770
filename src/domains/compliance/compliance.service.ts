import { AppError } from '../../errors.js';
import type { Db } from '../../platform/db/database.js';
import type { SignedInActor } from '../../platform/http/authenticate.js';
import type {
  MatrixQuery, MatrixSchema, MatrixSummaryRow, NewRequirement, RecordInput, RecordQuery, RecordSchema, RequirementChange, RequirementQuery, RequirementSchema,
  TierChangeDecision, TierChangeQuery, TierChangeSchema,
} from './compliance.schemas.js';
import { selectMatrix, selectRecord, selectRecords, upsertRecord } from './records.repository.js';
import {
  insertRequirement, recomputeScoresAsAdministrator, selectPeopleInRoles, selectRequirement, selectRequirements, updateRequirement,
} from './requirements.repository.js';
import { applyTierChange, decideTierChange, selectTierChange, selectTierChanges } from './tier-changes.repository.js';

export interface ComplianceDeps {
  db: Db;
  /** The clock record states, waivers and decisions are measured by; tests move it. */
  now: () => Date;
}

const notFound = (what: string, id: string) => new AppError('NOT_FOUND', `no ${what} ${id}`);

export function listRequirements({ db }: ComplianceDeps, actor: SignedInActor, query: RequirementQuery): Promise<{ items: RequirementSchema[] }> {
  return db.withActor(actor, async (tx) => ({ items: await selectRequirements(tx, query) }));
}

export function createRequirement({ db, now }: ComplianceDeps, actor: SignedInActor, input: NewRequirement): Promise<RequirementSchema> {
  // A new requirement has no records yet, but it is owed from now on: the people of its roles are recomputed with it.
  return db.withActor(actor, async (tx) => {
    const requirement = await insertRequirement(tx, input);
    await recomputeScoresAsAdministrator(tx, await selectPeopleInRoles(tx, requirement.applies_to_roles), now());
    return requirement;
  });
}

/**
 * Changes a requirement at the version read, and recomputes everyone of the roles it applied to or
 * applies to now (its weight, roles, tier, window, grace or status can each move their scores).
 */
export async function changeRequirement({ db, now }: ComplianceDeps, actor: SignedInActor, id: string, change: RequirementChange): Promise<RequirementSchema> {
  if (Object.keys(change).every((field) => field === 'version')) {
    throw new AppError('VALIDATION_FAILED', 'send at least one field to change besides version', { field: 'body' });
  }
  return db.withActor(actor, async (tx) => {
    const before = await selectRequirement(tx, id);
    if (!before) throw notFound('requirement', id);
    const after = await updateRequirement(tx, id, change);
    if (!after) throw new AppError('VERSION_CONFLICT', `requirement ${id} has changed since version ${change.version}`, { field: 'body.version', current: before });
    const roles = [...new Set([...before.applies_to_roles, ...after.applies_to_roles])];
    await recomputeScoresAsAdministrator(tx, await selectPeopleInRoles(tx, roles), now());
    return after;
  });
}

export async function listRecords({ db, now }: ComplianceDeps, actor: SignedInActor, query: RecordQuery): Promise<{ items: RecordSchema[]; truncated: boolean }> {
  const limit = query.limit ?? 1000;
  const rows = await db.withActor(actor, (tx) => selectRecords(tx, { ...query, limit: limit + 1 }, now()));
  return { items: rows.slice(0, limit), truncated: rows.length > limit };
}

/** What a record write must carry for its status: MET a completion time, WAIVED a reason; PENDING clears both. */
function recordWrite(input: RecordInput) {
  if (input.status === 'MET' && !input.completed_at) {
    throw new AppError('VALIDATION_FAILED', 'a MET record needs completed_at', { field: 'body.completed_at' });
  }
  if (input.status === 'WAIVED' && !input.waiver_reason) {
    throw new AppError('VALIDATION_FAILED', 'a waiver needs waiver_reason', { field: 'body.waiver_reason' });
  }
  if (input.status !== 'WAIVED' && input.waiver_reason !== undefined) {
    throw new AppError('VALIDATION_FAILED', 'waiver_reason is for WAIVED records only', { field: 'body.waiver_reason' });
  }
  if (input.status === 'PENDING' && (input.completed_at !== undefined || input.expires_at != null)) {
    throw new AppError('VALIDATION_FAILED', 'a PENDING record has no completion or expiry', { field: input.completed_at !== undefined ? 'body.completed_at' : 'body.expires_at' });
  }
  return {
    userId: input.user_id,
    requirementId: input.requirement_id,
    status: input.status as 'MET' | 'PENDING' | 'WAIVED',
    completedAt: input.status === 'MET' ? input.completed_at! : null,
    expiresAt: input.status === 'PENDING' ? null : input.expires_at,
    waiverReason: input.waiver_reason ?? null,
    version: input.version ?? null,
  };
}

/**
 * Records (or re-records) one person's standing on one requirement — met, pending, or waived with a
 * reason and an optional end — and recomputes their score in the same transaction (SA, AD).
 */
export async function recordRequirement({ db, now }: ComplianceDeps, actor: SignedInActor, input: RecordInput): Promise<RecordSchema> {
  const write = recordWrite(input);
  return db.withActor(actor, async (tx) => {
    if (!(await selectRequirement(tx, input.requirement_id))) throw notFound('requirement', input.requirement_id);
    if (!(await upsertRecord(tx, write))) {
      const current = await selectRecord(tx, input.user_id, input.requirement_id, now());
      throw new AppError('VERSION_CONFLICT', `the record has changed since version ${input.version}`, { field: 'body.version', current });
    }
    await recomputeScoresAsAdministrator(tx, [input.user_id], now());
    return (await selectRecord(tx, input.user_id, input.requirement_id, now()))!;
  });
}

const summaryBucket: Record<string, keyof Pick<MatrixSummaryRow, 'compliant' | 'expiring' | 'overdue' | 'pending'>> = {
  MET: 'compliant', WAIVED: 'compliant', EXPIRING: 'expiring', GRACE: 'expiring', OVERDUE: 'overdue', PENDING: 'pending',
};

/** Who stands where, per person and owed requirement, with counts per provider, tier and requirement. */
export async function getMatrix({ db, now }: ComplianceDeps, actor: SignedInActor, query: MatrixQuery): Promise<MatrixSchema> {
  const limit = query.limit ?? 1000;
  const asOf = now();
  const found = await db.withActor(actor, (tx) => selectMatrix(tx, { ...query, limit: limit + 1 }, asOf));
  const rows = found.slice(0, limit);
  const summary = new Map<string, MatrixSummaryRow>();
  for (const row of rows) {
    const key = `${row.provider_id}|${row.compliance_tier}|${row.requirement_id}`;
    const counts = summary.get(key) ?? {
      provider_id: row.provider_id, compliance_tier: row.compliance_tier, requirement_id: row.requirement_id, requirement_code: row.requirement_code,
      compliant: 0, expiring: 0, overdue: 0, pending: 0,
    };
    counts[summaryBucket[row.state]!] += 1;
    summary.set(key, counts);
  }
  return { as_of: asOf.toISOString(), rows, summary: [...summary.values()], truncated: found.length > limit };
}

export function listTierChanges({ db }: ComplianceDeps, actor: SignedInActor, query: TierChangeQuery): Promise<{ items: TierChangeSchema[] }> {
  return db.withActor(actor, async (tx) => ({ items: await selectTierChanges(tx, query) }));
}

/**
 * Confirms (the person's role becomes the proposed one, and their score is recomputed for the
 * requirements that role owes) or dismisses a proposal, at the version read (SA, AD). The proposal's
 * and the user's audit rows name the administrator.
 */
export async function decideTierChangeProposal(
  { db, now }: ComplianceDeps, actor: SignedInActor, id: string, status: 'CONFIRMED' | 'DISMISSED', decision: TierChangeDecision,
): Promise<TierChangeSchema> {
  return db.withActor(actor, async (tx) => {
    const decided = await decideTierChange(tx, id, { status, version: decision.version, note: decision.note ?? null, at: now() });
    if (!decided) {
      const current = await selectTierChange(tx, id);
      if (!current) throw notFound('tier change', id);
      if (current.status !== 'PROPOSED') throw new AppError('INVALID_TRANSITION', `tier change ${id} is already ${current.status}`, { current });
      throw new AppError('VERSION_CONFLICT', `tier change ${id} has changed since version ${decision.version}`, { field: 'body.version', current });
    }
    if (status === 'CONFIRMED') {
      if (!(await applyTierChange(tx, decided))) {
        throw new AppError('CONFLICT', `user ${decided.user_id} is no longer ${decided.from_role}; dismiss the proposal instead`);
      }
      await recomputeScoresAsAdministrator(tx, [decided.user_id], now());
    }
    return decided;
  });
}
