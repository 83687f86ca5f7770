import type { Queryable, Tx } from '../../platform/db/database.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';
import type { CertificateTemplateVersion } from './certificate-templates.schemas.js';
import type { TemplateLayout } from './template-layout.js';

/** The working copies: row-level security decides which the caller sees and changes (migration 0032). */
export const certificateTemplatesTable: TableSpec = {
  table: 'certificate_templates',
  readFrom: 'certificate_templates',
  columns: ['id', 'name', 'provider_id', 'layout', 'status', 'published_version', 'published_at', 'created_by', 'created_at', 'updated_at', 'version'],
  filterable: ['provider_id', 'status'],
  sortable: ['name', 'created_at'],
  versioned: true,
};

export interface LockedTemplate {
  id: string;
  name: string;
  layout: TemplateLayout;
  version: number;
}

/** FOR UPDATE under the update policies: null when not the caller's to publish. */
export async function lockTemplate(tx: Tx, id: string): Promise<LockedTemplate | null> {
  const { rows } = await tx.query<LockedTemplate>('select id, name, layout, version from certificate_templates where id = $1 for update', [id]);
  return rows[0] ?? null;
}

const versionColumns = 'id, template_id, version_number, name, layout, published_by, published_at';

/** Freezes the working copy as the next version (the caller holds its row lock) and points the template at it. */
export async function insertTemplateVersion(tx: Tx, templateId: string): Promise<CertificateTemplateVersion> {
  const { rows } = await tx.query<CertificateTemplateVersion>(
    `insert into certificate_template_versions (template_id, version_number, name, layout, published_by)
     select t.id, coalesce((select max(v.version_number) from certificate_template_versions v where v.template_id = t.id), 0) + 1,
            t.name, t.layout, app_user_id()
       from certificate_templates t where t.id = $1
     returning ${versionColumns}`,
    [templateId],
  );
  const version = rows[0]!;
  await tx.query('update certificate_templates set published_version = $2, published_at = $3 where id = $1', [templateId, version.version_number, version.published_at]);
  return version;
}

export async function listTemplateVersions(tx: Tx, templateId: string, limit: number, before: number | undefined): Promise<CertificateTemplateVersion[]> {
  const { rows } = await tx.query<CertificateTemplateVersion>(
    `select ${versionColumns} from certificate_template_versions
      where template_id = $1 and ($2::integer is null or version_number < $2) order by version_number desc limit $3`,
    [templateId, before ?? null, limit],
  );
  return rows;
}

export async function findTemplateVersion(tx: Tx, templateId: string, versionNumber: number): Promise<CertificateTemplateVersion | null> {
  const { rows } = await tx.query<CertificateTemplateVersion>(
    `select ${versionColumns} from certificate_template_versions where template_id = $1 and version_number = $2`,
    [templateId, versionNumber],
  );
  return rows[0] ?? null;
}

/** A version by id, as the caller may see it (its template's readers, and the holders of certificates printed with it). */
export async function findTemplateVersionById(db: Queryable, id: string): Promise<CertificateTemplateVersion | null> {
  const { rows } = await db.query<CertificateTemplateVersion>(`select ${versionColumns} from certificate_template_versions where id = $1`, [id]);
  return rows[0] ?? null;
}

/** Whether the caller may select this version (its policies decide), without reading its layout. */
export async function templateVersionVisible(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ visible: boolean }>('select exists (select 1 from certificate_template_versions where id = $1) as visible', [id]);
  return rows[0]?.visible === true;
}

/** The version a certificate of this course prints with now (migration 0033): its template's newest, or the built-in one. */
export async function templateVersionForCourse(tx: Tx, courseId: string): Promise<CertificateTemplateVersion> {
  const { rows } = await tx.query<CertificateTemplateVersion>(`select ${versionColumns} from certificate_template_version_for_course($1)`, [courseId]);
  return rows[0]!;
}

/** The version a certificate pins, as its reader sees the certificate (null: none pinned, the seed's rows). */
export async function templateVersionIdOfCertificate(db: Queryable, certificateId: string): Promise<string | null> {
  const { rows } = await db.query<{ template_version_id: string | null }>('select template_version_id from certificates where id = $1', [certificateId]);
  return rows[0]?.template_version_id ?? null;
}

/** The newest published version of a template the caller sees; undefined when it does not see it, null when never published. */
export async function publishedVersionIdOf(tx: Tx, templateId: string): Promise<string | null | undefined> {
  const { rows } = await tx.query<{ id: string | null }>(
    `select v.id from certificate_templates t
       left join certificate_template_versions v on v.template_id = t.id and v.version_number = t.published_version
      where t.id = $1`,
    [templateId],
  );
  return rows.length === 0 ? undefined : rows[0]!.id;
}

export interface CourseCertificateSettings {
  course_id: string;
  template_id: string | null;
  issue_on_completion: boolean;
  certificate_validity_months: number | null;
  version: number | null;
}

/** The course's settings as the caller sees the course; null when the course is not theirs to see. */
export async function findCourseCertificateSettings(tx: Tx, courseId: string): Promise<CourseCertificateSettings | null> {
  const { rows } = await tx.query<CourseCertificateSettings>(
    `select c.id as course_id, s.template_id, coalesce(s.issue_on_completion, false) as issue_on_completion,
            c.certificate_validity_months, s.version
       from courses c left join course_certificate_settings s on s.course_id = c.id
      where c.id = $1`,
    [courseId],
  );
  return rows[0] ?? null;
}

/** Saves them at the version read (null: first save). Returns whether a row was written. */
export async function saveCourseCertificateSettings(
  tx: Tx, courseId: string, settings: { template_id: string | null; issue_on_completion: boolean }, expectedVersion: number | null,
): Promise<boolean> {
  const { rowCount } = expectedVersion === null
    ? await tx.query(
      `insert into course_certificate_settings (course_id, template_id, issue_on_completion) values ($1, $2, $3)
       on conflict (course_id) do nothing`,
      [courseId, settings.template_id, settings.issue_on_completion])
    : await tx.query(
      'update course_certificate_settings set template_id = $2, issue_on_completion = $3 where course_id = $1 and version = $4',
      [courseId, settings.template_id, settings.issue_on_completion, expectedVersion]);
  return rowCount === 1;
}
