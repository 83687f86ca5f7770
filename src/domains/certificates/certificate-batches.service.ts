import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { Actor } from '../../platform/db/actor.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { getRow } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import {
  type BatchOutcome,
  batchCertificatesAfter,
  certificateBatchesTable,
  findBatchSource,
  insertBatch,
  listBatchResults,
} from './certificate-batches.repository.js';
import { renderCertificatePdf } from './certificate-pdf-loader.js';
import { publishedVersionIdOf, templateVersionForCourse } from './certificate-templates.repository.js';
import { pinnedTemplateVersion } from './certificate-templates.service.js';

export interface BatchesDeps {
  db: Db;
}

const what = 'certificate batch';

export interface BatchRequest {
  roster_id?: string | undefined;
  session_id?: string | undefined;
  template_id?: string | undefined;
}

/**
 * A batch for a roster or a COMPLETED session, as the requester (row-level security: an AP at its
 * locations, an instructor their own rosters and taught sessions, administrators all). The template is
 * the one asked for, else the course's; the job (queued by the insert) issues the certificates.
 */
export async function requestBatch(deps: BatchesDeps, actor: Actor, request: BatchRequest, verificationBaseUrl: string) {
  return deps.db.withActor(actor, async (tx) => {
    const source = await findBatchSource(tx, request);
    const field = request.roster_id === undefined ? 'body.session_id' : 'body.roster_id';
    if (!source) throw new AppError('NOT_FOUND', `no ${request.roster_id === undefined ? 'session' : 'roster'} with this id`, { field });
    if (request.session_id !== undefined && source.status !== 'COMPLETED') {
      throw new AppError('NOT_ELIGIBLE', `the session is ${source.status}: only a COMPLETED session is certified as a batch`, { field });
    }
    let template: { id: string; template_id: string };
    if (request.template_id === undefined) {
      template = await templateVersionForCourse(tx, source.course_id);
    } else {
      const versionId = await publishedVersionIdOf(tx, request.template_id);
      if (versionId === undefined) throw new AppError('NOT_FOUND', `no certificate template with id ${request.template_id}`, { field: 'body.template_id' });
      if (versionId === null) throw new AppError('INVALID_TEMPLATE', 'the template has no published version yet', { field: 'body.template_id' });
      template = { id: versionId, template_id: request.template_id };
    }
    const id = randomUUID();
    await insertBatch(tx, {
      id, roster_id: request.roster_id ?? null, session_id: request.session_id ?? null, template_id: template.template_id,
      template_version_id: template.id, requested_by: actor.userId, total_count: source.learners, verification_base_url: verificationBaseUrl,
    });
    const batch = await getRow(tx, certificateBatchesTable, id, what);
    await appendDomainEvent(tx, {
      aggregateType: 'certificate_batch', aggregateId: id, aggregateVersion: batch['version'] as number, eventType: 'certificate_batch.requested',
      payload: { roster_id: batch['roster_id'], session_id: batch['session_id'], template_version_id: template.id, total_count: source.learners },
    });
    return batch;
  });
}

export async function readBatch(deps: BatchesDeps, actor: Actor, id: string) {
  return deps.db.withActor(actor, (tx) => getRow(tx, certificateBatchesTable, id, what));
}

/** Each learner's result, in the batch's order, keyset-paged by position. */
export async function batchResults(deps: BatchesDeps, actor: Actor, id: string, query: { cursor?: string | undefined; limit: number; outcome?: BatchOutcome | undefined }) {
  const after = query.cursor === undefined ? 0 : Number(query.cursor);
  if (!Number.isSafeInteger(after) || after < 0) throw new AppError('VALIDATION_FAILED', 'not a cursor of this list', { field: 'querystring.cursor' });
  return deps.db.withActor(actor, async (tx) => {
    await getRow(tx, certificateBatchesTable, id, what);
    const items = await listBatchResults(tx, id, { afterPosition: after, limit: query.limit, outcome: query.outcome });
    return { items, next_cursor: items.length === query.limit ? String(items.at(-1)!.position) : null };
  });
}

/** Certificates read per page while the ZIP streams: what is held in memory at once. */
const zipPage = 50;

/**
 * The batch's PDFs as a ZIP stream (404 before anything is sent when the batch is not the caller's to
 * see). Certificates are read a page at a time, and each PDF is rendered only when the ZIP writer
 * reaches its entry (yazl's lazy entries); the next page is read once the writer has reached the last
 * entry of this one. So memory holds one page of rows and one PDF however large the batch, and a slow
 * client slows the rendering instead of filling a buffer. Entries carry the issue date, so the same
 * batch gives the same archive.
 */
export async function batchZip(deps: BatchesDeps, actor: Actor, id: string): Promise<Readable> {
  await readBatch(deps, actor, id);
  const zip = new ZipFile();
  const fill = async () => {
    let after: string | null = null;
    for (;;) {
      const { page, layouts } = await deps.db.withActor(actor, async (tx) => {
        const rows = await batchCertificatesAfter(tx, id, after, zipPage);
        const versionIds = [...new Set(rows.map((row) => row.template_version_id))];
        return { page: rows, layouts: new Map(await Promise.all(versionIds.map(async (versionId) => [versionId, (await pinnedTemplateVersion(tx, versionId)).layout] as const))) };
      });
      if (page.length === 0) break;
      const reachedLast = new Promise<void>((resolve, reject) => {
        page.forEach((certificate, index) => {
          zip.addReadStreamLazy(`certificate-${certificate.verification_code}.pdf`, { mtime: new Date(`${certificate.issue_date}T00:00:00Z`) }, (deliver) => {
            if (index === page.length - 1) resolve();
            renderCertificatePdf(certificate.snapshot, layouts.get(certificate.template_version_id))
              .then((pdf) => deliver(null, Readable.from([Buffer.from(pdf)])), (error: Error) => { deliver(error, null as never); reject(error); });
          });
        });
      });
      await reachedLast;
      after = page.at(-1)!.id;
    }
    zip.end();
  };
  fill().catch((error: unknown) => zip.outputStream.emit('error', error));
  return zip.outputStream as Readable;
}
