import type { Role } from '../../platform/db/actor.js';
import { accessOf, type DomainTable, type Operation } from '../../platform/security/access-matrix.js';

/**
 * The roles the access matrix lets do `operation` on some row of `table`. A route hook refuses the
 * others with 403 before looking at the body or the row (`rolesOnly(...rolesThatMay(...))`).
 */
export function rolesThatMay(table: DomainTable, operation: Operation): Role[] {
  const roles = accessOf(table).rules[operation].flatMap((rule) => rule.roles);
  return [...new Set(roles)].filter((role): role is Role => role !== 'ANON');
}
