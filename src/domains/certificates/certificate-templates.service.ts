import Value from 'typebox/value';
import type { Actor } from '../../platform/db/actor.js';
import type { Db, Queryable, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { getRow, insertRow, listRows, lockAtVersion, type Page, updateRow } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { builtInTemplateVersionId } from './built-in-template.js';
import { renderCertificatePdf } from './certificate-pdf-loader.js';
import type { CertificateSnapshot } from './certificate-snapshot.js';
import {
  certificateTemplatesTable,
  type CourseCertificateSettings,
  findCourseCertificateSettings,
  findTemplateVersion,
  findTemplateVersionById,
  insertTemplateVersion,
  listTemplateVersions,
  lockTemplate,
  publishedVersionIdOf,
  saveCourseCertificateSettings,
  templateVersionVisible,
} from './certificate-templates.repository.js';
import type { CertificateTemplate, CertificateTemplateVersion } from './certificate-templates.schemas.js';
import { checkLayout, type TemplateLayout, TemplateLayoutSchema } from './template-layout.js';

export interface TemplatesDeps {
  db: Db;
}

const what = 'certificate template';
type TemplateRow = CertificateTemplate;

const templateEvent = (tx: Tx, row: TemplateRow, eventType: string, payload: Record<string, unknown>) =>
  appendDomainEvent(tx, { aggregateType: 'certificate_template', aggregateId: row.id, aggregateVersion: row.version, eventType, payload });

/** What a preview prints: made-up facts that use every placeholder (and letters of three scripts). */
export const sampleSnapshot: CertificateSnapshot = {
  template: { id: null, name: 'Preview', version: 'draft' },
  printed: {
    recipient_name: 'Zoë Łukasiewicz-Øster', course_name: 'First aid at work · Πρώτες βοήθειες', course_code: 'FAW-1', hours: 18,
    completed_on: '2026-03-14', practical_score: 92.5, written_score: 88, instructor_name: 'Владимир Иванов',
    location_name: 'Harbour Training Centre', location_place: 'Leith, GB', provider_name: 'Safe Hands Training',
  },
  issue_date: '2026-03-15', expiry_date: '2029-03-15', verification_code: '7KQ2-M9XD-4HVA-0RTE',
  verification_url: 'https://training.example.org/verify/7KQ2-M9XD-4HVA-0RTE', renderer: 3,
};

/** A layout as stored may predate templates (the seed's): checked against the schema before anything renders it. */
function validLayout(layout: unknown): TemplateLayout {
  if (!Value.Check(TemplateLayoutSchema, layout)) {
    throw new AppError('INVALID_TEMPLATE', 'the working copy has no valid layout: send one with PATCH', { field: 'body.layout' });
  }
  checkLayout(layout);
  return layout;
}

/** Renders with the sample facts: an image that cannot be decoded is refused here, naming its element. */
const renderSample = (layout: TemplateLayout) => renderCertificatePdf(sampleSnapshot, layout);

export async function createTemplate(deps: TemplatesDeps, actor: Actor, input: { name: string; layout: TemplateLayout; provider_id?: string | null | undefined }): Promise<TemplateRow> {
  checkLayout(input.layout);
  return deps.db.withActor(actor, async (tx) => {
    const row = await insertRow(tx, certificateTemplatesTable, {
      name: input.name, layout: JSON.stringify(input.layout), provider_id: input.provider_id ?? null, created_by: actor.userId,
    }, what) as unknown as TemplateRow;
    await templateEvent(tx, row, 'certificate_template.created', { provider_id: row.provider_id });
    return row;
  });
}

export async function listTemplates(deps: TemplatesDeps, actor: Actor, query: { filters: Record<string, string | undefined>; limit: number; cursor?: string | undefined }): Promise<Omit<Page, 'items'> & { items: TemplateRow[] }> {
  const page = await deps.db.withActor(actor, (tx) => listRows(tx, certificateTemplatesTable, { ...query, sort: 'name', direction: 'asc' }));
  return page as unknown as Omit<Page, 'items'> & { items: TemplateRow[] };
}

export async function readTemplate(deps: TemplatesDeps, actor: Actor, id: string): Promise<TemplateRow> {
  return deps.db.withActor(actor, async (tx) => (await getRow(tx, certificateTemplatesTable, id, what)) as unknown as TemplateRow);
}

export async function updateTemplate(
  deps: TemplatesDeps, actor: Actor, id: string, expectedVersion: number | undefined, patch: { name?: string | undefined; layout?: TemplateLayout | undefined },
): Promise<TemplateRow> {
  if (patch.layout !== undefined) checkLayout(patch.layout);
  return deps.db.withActor(actor, async (tx) => {
    const row = await updateRow(tx, certificateTemplatesTable, id, expectedVersion, {
      name: patch.name, layout: patch.layout === undefined ? undefined : JSON.stringify(patch.layout),
    }, what) as unknown as TemplateRow;
    await templateEvent(tx, row, 'certificate_template.changed', { changed: Object.keys(patch).filter((key) => key !== 'version') });
    return row;
  });
}

/**
 * Freezes the working copy as the next version: checked, rendered once with the sample facts (an image
 * that does not decode is refused before anything is stored), then stored immutably.
 */
export async function publishTemplate(deps: TemplatesDeps, actor: Actor, id: string, expectedVersion: number): Promise<TemplateRow> {
  return deps.db.withActor(actor, async (tx) => {
    const locked = await lockAtVersion(tx, certificateTemplatesTable, { id, what, expectedVersion, refusal: 'not allowed to publish this certificate template', lock: lockTemplate });
    await renderSample(validLayout(locked.layout));
    const published = await insertTemplateVersion(tx, id);
    const row = (await getRow(tx, certificateTemplatesTable, id, what)) as unknown as TemplateRow;
    await templateEvent(tx, row, 'certificate_template.published', { version_number: published.version_number, version_id: published.id });
    return row;
  });
}

/** The working copy rendered with sample facts, as a PDF. */
export async function previewTemplate(deps: TemplatesDeps, actor: Actor, id: string): Promise<Uint8Array> {
  const row = await readTemplate(deps, actor, id);
  return renderSample(validLayout(row.layout));
}

export async function templateVersions(deps: TemplatesDeps, actor: Actor, id: string, page: { limit: number; cursor?: string | undefined }) {
  const before = page.cursor === undefined ? undefined : Number.parseInt(page.cursor, 10);
  if (before !== undefined && !(before > 0)) throw new AppError('VALIDATION_FAILED', 'not a cursor of this list', { field: 'querystring.cursor' });
  return deps.db.withActor(actor, async (tx) => {
    await getRow(tx, certificateTemplatesTable, id, what);
    const items = await listTemplateVersions(tx, id, page.limit, before);
    return { items, next_cursor: items.length === page.limit ? String(items.at(-1)!.version_number) : null };
  });
}

export async function templateVersion(deps: TemplatesDeps, actor: Actor, id: string, versionNumber: number): Promise<CertificateTemplateVersion> {
  return deps.db.withActor(actor, async (tx) => {
    await getRow(tx, certificateTemplatesTable, id, what);
    const found = await findTemplateVersion(tx, id, versionNumber);
    if (!found) throw new AppError('NOT_FOUND', `the template has no version ${versionNumber}`, { field: 'params.number' });
    return found;
  });
}

/**
 * Published versions never change, so their content is read once per process and serves every later
 * render (a batch's 10,000 PDFs read it once). The content is shared; the right to it is not: a caller
 * served from here has first been shown to select the version under its own policies (one index probe
 * instead of reading the layout with its images again).
 */
const pinnedVersions = new Map<string, CertificateTemplateVersion>();
const pinnedVersionsKept = 200;

/** The template version a certificate pins (the built-in one for rows that pin none), if the caller may select it (404 otherwise). */
export async function pinnedTemplateVersion(db: Queryable, versionId: string | null): Promise<CertificateTemplateVersion> {
  const id = versionId ?? builtInTemplateVersionId;
  const notVisible = () => new AppError('NOT_FOUND', 'the template version of this certificate is not visible', { version_id: id });
  const cached = pinnedVersions.get(id);
  if (cached) {
    if (!(await templateVersionVisible(db, id))) throw notVisible();
    return cached;
  }
  const found = await findTemplateVersionById(db, id);
  if (!found) throw notVisible();
  // Oldest first out: a Map iterates in insertion order.
  if (pinnedVersions.size >= pinnedVersionsKept) pinnedVersions.delete(pinnedVersions.keys().next().value!);
  pinnedVersions.set(id, found);
  return found;
}

export async function readCourseCertificateSettings(deps: TemplatesDeps, actor: Actor, courseId: string): Promise<CourseCertificateSettings> {
  return deps.db.withActor(actor, async (tx) => {
    const found = await findCourseCertificateSettings(tx, courseId);
    if (!found) throw new AppError('NOT_FOUND', `no course with id ${courseId}`, { field: 'params.id' });
    return found;
  });
}

/**
 * The course's template (published: 422 otherwise; 404 when the caller does not see it) and whether a
 * completion issues by itself. Administrators only (row-level security: 403 for others).
 */
export async function saveCourseSettings(
  deps: TemplatesDeps, actor: Actor, courseId: string, input: { template_id: string | null; issue_on_completion: boolean }, expectedVersion: number | undefined,
): Promise<CourseCertificateSettings> {
  return deps.db.withActor(actor, async (tx) => {
    const current = await findCourseCertificateSettings(tx, courseId);
    if (!current) throw new AppError('NOT_FOUND', `no course with id ${courseId}`, { field: 'params.id' });
    if (input.template_id !== null) {
      const published = await publishedVersionIdOf(tx, input.template_id);
      if (published === undefined) throw new AppError('NOT_FOUND', `no certificate template with id ${input.template_id}`, { field: 'body.template_id' });
      if (published === null) throw new AppError('INVALID_TEMPLATE', 'the template has no published version yet', { field: 'body.template_id' });
    }
    if (current.version !== null && expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new AppError('VERSION_CONFLICT', `the settings were changed by someone else (version ${current.version}, you sent ${expectedVersion})`, { field: 'body.version', current });
    }
    if (!(await saveCourseCertificateSettings(tx, courseId, input, current.version))) {
      const now = await findCourseCertificateSettings(tx, courseId);
      if (now?.version !== current.version) throw new AppError('VERSION_CONFLICT', 'the settings were changed by someone else', { field: 'body.version', current: now });
      throw new AppError('FORBIDDEN', 'not allowed to change the certificate settings of this course');
    }
    return (await findCourseCertificateSettings(tx, courseId))!;
  });
}
