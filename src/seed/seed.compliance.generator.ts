import { addMonths, dayOf, utcTimestamp } from './seed.calendar.js';
import type { People, ProfileSeed, SeedContext } from './seed.people.generator.js';
import { Random } from './seed.random.js';
import type { Row } from './seed.tables.js';

/** A learner's latest completion of a course, found among the generated enrollments. */
export interface Completion {
  enrollmentId: string;
  completedAt: string;
}

/** `${userId}/${courseId}` → the latest completion. */
export type Completions = Map<string, Completion>;

function parseRoles(literal: string): string[] {
  return literal.slice(1, -1).split(',').map((r) => r.replaceAll('"', ''));
}

/**
 * One record per person and applicable requirement: met through a completed enrollment of the
 * requirement's course when there is one, otherwise met from outside evidence, waived or pending.
 * Then each profile's score and status follow from its records (the seed's stand-in for the
 * compliance recompute, which is not built yet): the share of the weight met or waived, COMPLIANT
 * when all of it is, NON_COMPLIANT with anything expired or under half, PENDING with nothing yet.
 */
export function generateCompliance(
  ctx: SeedContext, people: People, requirements: Row<'compliance_requirements'>[], completions: Completions,
): { records: Row<'compliance_records'>[]; profiles: ProfileSeed[] } {
  const { today } = ctx;
  const random = Random.of(ctx.seed, 'compliance');
  const active = requirements.filter((r) => r.status === 'ACTIVE').map((r) => ({ row: r, roles: parseRoles(r.applies_to_roles) }));
  const records: Row<'compliance_records'>[] = [];
  // profiles[i] is the profile of users[i].
  const profiles = people.profiles.map((profile, i) => {
    const user = people.users[i];
    const owed = active.filter((r) => r.roles.includes(profile.role) && (r.row.tier === 'basic' || profile.compliance_tier === 'robust'));
    let weight = 0;
    let met = 0;
    let expired = false;
    for (const { row: requirement } of owed) {
      const validity = requirement.validity_months;
      const expiry = (completedAt: string) => (validity === null ? null : utcTimestamp(addMonths(dayOf(completedAt), validity), 1439));
      const completion = requirement.course_id === null ? undefined : completions.get(`${profile.user_id}/${requirement.course_id}`);
      let record: Row<'compliance_records'>;
      const base = {
        id: random.uuid(), user_id: profile.user_id, requirement_id: requirement.id, source_enrollment_id: null, evidence: '{}',
        created_at: later(user?.created_at ?? requirement.created_at, requirement.created_at), version: 1,
      };
      if (completion) {
        const expiresAt = expiry(completion.completedAt);
        const status = expiresAt !== null && dayOf(expiresAt) < today ? 'EXPIRED' : 'MET';
        record = {
          ...base, status, completed_at: completion.completedAt, expires_at: expiresAt, source_enrollment_id: completion.enrollmentId,
          updated_at: later(base.created_at, completion.completedAt), version: 2,
        };
      } else {
        const outcome = random.weighted([['MET', 70], ['PENDING', 24], ['WAIVED', 6]] as const);
        if (outcome === 'MET') {
          const completedAt = utcTimestamp(today - random.int(5, validity === null ? 1200 : validity * 30 + 90), random.int(480, 1020));
          const expiresAt = expiry(completedAt);
          const status = expiresAt !== null && dayOf(expiresAt) < today ? 'EXPIRED' : 'MET';
          const evidence = JSON.stringify({ source: 'upload', document: `${requirement.code.toLowerCase()}-${base.id.slice(0, 8)}.pdf` });
          record = { ...base, status, completed_at: completedAt, expires_at: expiresAt, evidence, updated_at: later(base.created_at, completedAt), version: 2 };
        } else if (outcome === 'WAIVED') {
          const evidence = JSON.stringify({ waiver: 'Granted by an administrator', reviewed: true });
          record = { ...base, status: 'WAIVED', completed_at: null, expires_at: null, evidence, updated_at: base.created_at, version: 2 };
        } else {
          record = { ...base, status: 'PENDING', completed_at: null, expires_at: null, updated_at: base.created_at };
        }
      }
      records.push(record);
      const w = Number(requirement.weight);
      weight += w;
      if (record.status === 'MET' || record.status === 'WAIVED') met += w;
      if (record.status === 'EXPIRED') expired = true;
    }
    const score = weight === 0 ? 0 : Math.round((met / weight) * 10_000) / 100;
    const status = weight === 0 || met === 0 ? (expired ? 'NON_COMPLIANT' : 'PENDING')
      : met === weight ? 'COMPLIANT' : expired || score < 50 ? 'NON_COMPLIANT' : 'AT_RISK';
    return { ...profile, compliance_score: score, compliance_status: status };
  });
  return { records, profiles };
}

const later = (a: string, b: string) => (a > b ? a : b);
