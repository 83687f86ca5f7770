import type { Tx } from '../../platform/db/database.js';
import type { TemplateKind } from './templates.js';

export interface NotificationTemplateRow {
  id: string;
  kind: TemplateKind;
  locale: string;
  provider_id: string | null;
  subject: string;
  body: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const columns = 'id, kind, locale, provider_id, subject, body, created_at, updated_at, version';

/** The templates the caller may read (row-level security: SA and AD all, an AP the global ones and its providers'). */
export async function selectTemplates(tx: Tx): Promise<NotificationTemplateRow[]> {
  const { rows } = await tx.query<NotificationTemplateRow>(`select ${columns} from notification_templates order by kind, locale, provider_id nulls first`);
  return rows;
}

export interface TemplateText {
  kind: TemplateKind;
  locale: string;
  provider_id: string | null;
  subject: string;
  body: string;
}

/**
 * Writes the template of (kind, locale, provider) as the caller, whether it exists or not; row-level
 * security refuses what they may not write (42501). With `version`, an existing one must still have it:
 * then nothing is returned when it moved on.
 */
export async function upsertTemplate(tx: Tx, text: TemplateText, version: number | undefined): Promise<NotificationTemplateRow | null> {
  const { rows } = await tx.query<NotificationTemplateRow>(
    `insert into notification_templates (kind, locale, provider_id, subject, body) values ($1, $2, $3, $4, $5)
     on conflict (kind, locale, provider_id) do update set subject = excluded.subject, body = excluded.body, updated_at = now()
      where $6::integer is null or notification_templates.version = $6::integer
     returning ${columns}`,
    [text.kind, text.locale, text.provider_id, text.subject, text.body, version ?? null],
  );
  return rows[0] ?? null;
}

export async function selectTemplateOf(tx: Tx, text: Pick<TemplateText, 'kind' | 'locale' | 'provider_id'>): Promise<NotificationTemplateRow | null> {
  const { rows } = await tx.query<NotificationTemplateRow>(
    `select ${columns} from notification_templates where kind = $1 and locale = $2 and provider_id is not distinct from $3`,
    [text.kind, text.locale, text.provider_id],
  );
  return rows[0] ?? null;
}

/** Deletes a provider's override as the caller; null when they may not or there is none (global templates are never deleted). */
export async function deleteTemplate(tx: Tx, id: string): Promise<NotificationTemplateRow | null> {
  const { rows } = await tx.query<NotificationTemplateRow>(`delete from notification_templates where id = $1 returning ${columns}`, [id]);
  return rows[0] ?? null;
}

/**
 * The text a notification of `kind` about a session of `provider` is written from, for `locale`: the
 * provider's override before the global template, the locale before English. As the owner (the job).
 */
export async function pickTemplate(tx: Tx, kind: TemplateKind, provider: string | null, locale: string): Promise<{ subject: string; body: string }> {
  const { rows } = await tx.query<{ subject: string; body: string }>(
    `select subject, body from notification_templates
      where kind = $1 and (provider_id is null or provider_id = $2) and locale in ($3, 'en')
      order by (locale = $3) desc, (provider_id is not null) desc
      limit 1`,
    [kind, provider, locale],
  );
  if (!rows[0]) throw new Error(`no ${kind} notification template: migration 0045 makes the global English ones`);
  return rows[0];
}
