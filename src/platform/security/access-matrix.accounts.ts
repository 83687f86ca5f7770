import { roleGroups as roles, tableAccess, type RuleSpec, type TableAccess } from './access-matrix.model.js';

/**
 * Access to invitations (migration 0029). An invitation is an account made later, so it follows the
 * rules for creating accounts: SA invites anyone, AD anyone but an SA, and nobody else invites
 * (decision 0026 says why an AP does not). The tokens of invitations and password resets
 * (`account_tokens`) are the owner's alone, like `login_failures`, and so not in the matrix.
 */

const notSa = (row: Record<string, unknown>) => row['role'] !== 'SA';

const invitationWriters = (words: string): RuleSpec[] => [
  { name: 'sa', roles: roles.sa, words: `every ${words}` },
  { name: 'ad', roles: roles.ad, words: `${words}s not for (and never turned into ones for) an SA`, allows: notSa },
];

export const accountsAccess: TableAccess[] = [
  tableAccess('invitations', {
    select: [
      { name: 'sa', roles: roles.sa, words: 'every invitation' },
      { name: 'ad', roles: roles.ad, words: 'invitations not for an SA', allows: notSa },
    ],
    insert: invitationWriters('invitation'),
    update: invitationWriters('invitation'),
  }),
];
