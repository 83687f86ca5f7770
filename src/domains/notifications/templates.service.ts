import { AppError } from '../../errors.js';
import type { Actor } from '../../platform/db/actor.js';
import type { Db } from '../../platform/db/database.js';
import { checkTemplateText, placeholdersOf } from './templates.js';
import { deleteTemplate, type NotificationTemplateRow, selectTemplateOf, selectTemplates, type TemplateText, upsertTemplate } from './templates.repository.js';

/** The templates the caller may read, and the placeholders of each kind. */
export async function listTemplates(db: Db, actor: Actor): Promise<{ items: NotificationTemplateRow[]; placeholders: Record<string, string[]> }> {
  return {
    items: await db.withActor(actor, selectTemplates),
    placeholders: Object.fromEntries(Object.entries(placeholdersOf).map(([kind, names]) => [kind, [...names]])),
  };
}

/**
 * Writes the text of (kind, locale, provider): the global one (SA, AD) or a provider's override (its AP,
 * SA, AD; row-level security decides, 403 otherwise). A placeholder the kind does not fill: 422 naming it.
 */
export async function putTemplate(db: Db, actor: Actor, text: TemplateText, version: number | undefined): Promise<NotificationTemplateRow> {
  checkTemplateText(text.kind, 'subject', text.subject);
  checkTemplateText(text.kind, 'body', text.body);
  return db.withActor(actor, async (tx) => {
    const written = await upsertTemplate(tx, text, version);
    if (written) return written;
    const current = await selectTemplateOf(tx, text);
    throw new AppError('VERSION_CONFLICT', `the template was changed by someone else (version ${current?.version}, you sent ${version})`, { field: 'body.version', current });
  });
}

/** Removes a provider's override (its sessions then get the global text); global templates stay. */
export async function removeTemplate(db: Db, actor: Actor, id: string): Promise<NotificationTemplateRow> {
  return db.withActor(actor, async (tx) => {
    const removed = await deleteTemplate(tx, id);
    if (!removed) throw new AppError('NOT_FOUND', `no provider override with id ${id} that you may remove`, { field: 'params.id' });
    return removed;
  });
}
