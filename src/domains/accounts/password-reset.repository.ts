import type { Tx } from '../../platform/db/database.js';

// As the owner: a password reset is asked for signed out, and mailed by a job.

export interface AccountToReset {
  id: string;
  email_ciphertext: string;
  email_hmac: string;
  first_name: string | null;
}

/** The active account with this e-mail's blind index, if any: only an active account can reset its password. */
export async function selectActiveAccount(tx: Tx, by: { emailHmac: string } | { userId: string }): Promise<AccountToReset | null> {
  const [condition, value] = 'emailHmac' in by ? ['u.email_hmac = $1', by.emailHmac] : ['u.id = $1', by.userId];
  const { rows } = await tx.query<AccountToReset>(
    `select u.id, u.email_ciphertext, u.email_hmac, p.first_name from users u left join profiles p on p.user_id = u.id
      where ${condition} and u.status = 'ACTIVE'`,
    [value],
  );
  return rows[0] ?? null;
}
