import type { Queryable } from '../../platform/db/database.js';
import { statusListSize, type StatusPurpose } from './certificate-credential.js';
import type { StatusListRow } from './status-list.js';

/**
 * A certificate's place in the status lists (migration 0034). Read by the owner (the table is the
 * publisher's alone): ask only for a certificate the caller was shown to see.
 */
export async function statusListIndexOf(owner: Queryable, certificateId: string): Promise<number | null> {
  const { rows } = await owner.query<{ index: string }>('select status_list_index::text as index from certificate_status_entries where certificate_id = $1', [certificateId]);
  return rows[0] ? Number(rows[0].index) : null;
}

/**
 * A published status list, read by the owner (certificate_status_lists is public data the application
 * role has no grant on). A list that no status change has touched yet has no row: it exists, all
 * zeros, once a certificate has an index in it, and dates from that certificate's issue.
 */
export async function findStatusList(owner: Queryable, purpose: StatusPurpose, listNumber: number): Promise<StatusListRow | null> {
  const { rows } = await owner.query<StatusListRow>(
    'select purpose, list_number, bits, changed_at from certificate_status_lists where purpose = $1 and list_number = $2',
    [purpose, listNumber],
  );
  if (rows[0]) return rows[0];
  const { rows: first } = await owner.query<{ created_at: Date }>(
    `select c.created_at from certificate_status_entries e join certificates c on c.id = e.certificate_id
      where e.status_list_index >= $1 and e.status_list_index < $2 order by e.status_list_index limit 1`,
    [listNumber * statusListSize, (listNumber + 1) * statusListSize],
  );
  if (!first[0]) return null;
  return { purpose, list_number: listNumber, bits: new Uint8Array(statusListSize / 8), changed_at: first[0].created_at };
}
