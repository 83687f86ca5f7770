import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { pdfText } from '../../../test/pdf-reading.js';
import { useTestApp } from '../../../test/test-app.js';
import { builtInLayout, builtInTemplateVersionId } from './built-in-template.js';
import { createCertificateWorld, type CertificateWorld } from '../../../test/world.js';
import { pinnedTemplateVersion } from './certificate-templates.service.js';
import type { TemplateLayout } from './template-layout.js';

const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const flat = (text: string) => text.normalize('NFC').replace(/\s+/g, ' ');

/** A real 2×2 PNG (the renderer must decode it), built here so the test needs no file. */
function tinyPng(): string {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => { let c = 0xffffffff; for (const b of bytes) c = crcTable[(c ^ b) & 255]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const length = Buffer.alloc(4); length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13); header.writeUInt32BE(2, 0); header.writeUInt32BE(2, 4); header[8] = 8; header[9] = 2;
  const pixels = Buffer.from([0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 255, 255]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]).toString('base64');
}

const layout = (heading: string, extra: TemplateLayout['elements'] = []): TemplateLayout => ({
  page: { size: 'Letter', orientation: 'portrait' },
  elements: [
    { type: 'text', text: heading, x: 306, y: 700, size: 24, font: 'bold', align: 'center', max_width: 500 },
    { type: 'text', text: 'Awarded to {{recipient_name}} for {{course_name}} ({{course_code}})', x: 60, y: 600, size: 12 },
    { type: 'text', text: 'Instructor: {{instructor_name}} · {{validity}}', x: 60, y: 580, size: 10 },
    { type: 'qr', x: 60, y: 60, size: 100 },
    { type: 'line', x1: 60, y1: 560, x2: 552, y2: 560, thickness: 1, color: '#336699' },
    { type: 'box', x: 20, y: 20, width: 572, height: 752, border_width: 2, border_color: '#000000' },
    ...extra,
  ],
});

async function createTemplate(token: string, body: Record<string, unknown>) {
  return world.call(token, 'POST', '/v1/certificate-templates', body);
}

describe('certificate templates', () => {
  it('stores the built-in layout as the global template version that old certificates pin', async () => {
    const { rows } = await context.db.query<{ layout: unknown; name: string }>('select layout, name from certificate_template_versions where id = $1', [builtInTemplateVersionId]);
    expect(rows).toEqual([{ layout: builtInLayout, name: 'Unitrain standard' }]);
    const global = await world.call(world.tokens.instructor, 'GET', '/v1/certificate-templates');
    expect(global.json<{ items: { name: string }[] }>().items.map((item) => item.name)).toContain('Unitrain standard');
  });

  it('publishes immutable versions: a draft edited after publishing changes no published version', async () => {
    const created = await createTemplate(world.tokens.ap, { name: 'Safe Hands', provider_id: world.providerId, layout: layout('Safe Hands certificate', [{ type: 'image', x: 500, y: 700, width: 40, height: 40, data: tinyPng() }]) });
    expect(created.statusCode).toBe(201);
    const template = created.json<{ id: string; version: number; published_version: number | null }>();
    expect(template.published_version).toBeNull();

    const published = await world.call(world.tokens.ap, 'POST', `/v1/certificate-templates/${template.id}/publish`, { version: template.version });
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({ published_version: 1 });

    const edited = await world.call(world.tokens.ap, 'PATCH', `/v1/certificate-templates/${template.id}`, { layout: layout('Changed heading'), version: published.json<{ version: number }>().version });
    expect(edited.statusCode).toBe(200);
    const first = await world.call(world.tokens.ap, 'GET', `/v1/certificate-templates/${template.id}/versions/1`);
    expect(first.json<{ layout: TemplateLayout }>().layout.elements[0]).toMatchObject({ text: 'Safe Hands certificate' });

    const again = await world.call(world.tokens.ap, 'POST', `/v1/certificate-templates/${template.id}/publish`, { version: edited.json<{ version: number }>().version });
    expect(again.json()).toMatchObject({ published_version: 2 });
    const versions = await world.call(world.tokens.ap, 'GET', `/v1/certificate-templates/${template.id}/versions`);
    expect(versions.json<{ items: { version_number: number }[] }>().items.map((v) => v.version_number)).toEqual([2, 1]);
    // Not even the owner may change a published version.
    await expect(context.db.query("update certificate_template_versions set name = 'x' where template_id = $1", [template.id])).rejects.toThrow(/immutable/);
  });

  it('previews a draft as a PDF with sample facts', async () => {
    const created = (await createTemplate(world.tokens.sa, { name: 'Global preview', layout: layout('Preview heading') })).json<{ id: string }>();
    const preview = await world.call(world.tokens.sa, 'GET', `/v1/certificate-templates/${created.id}/preview`);
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['content-type']).toBe('application/pdf');
    const text = flat(await pdfText(preview.rawPayload));
    expect(text).toContain('Preview heading');
    expect(text).toContain('Awarded to Zoë Łukasiewicz-Øster for');
    expect(text).toContain('Instructor: Владимир Иванов · Valid until 15 March 2029');
  });

  it('refuses an unknown placeholder, an element off the page and a bad image with 422 naming the element', async () => {
    const cases: [TemplateLayout['elements'][number], string][] = [
      [{ type: 'text', text: 'Hello {{recipient_nmae}}', x: 10, y: 10, size: 10 }, 'body.layout.elements[6].text'],
      [{ type: 'box', x: 500, y: 700, width: 200, height: 20 }, 'body.layout.elements[6].x'],
      [{ type: 'text', text: 'Wide', x: 300, y: 10, size: 10, align: 'center', max_width: 700 }, 'body.layout.elements[6].max_width'],
      [{ type: 'image', x: 10, y: 10, width: 10, height: 10, data: Buffer.from('GIF89a not a png').toString('base64') }, 'body.layout.elements[6].data'],
      [{ type: 'image', x: 10, y: 10, width: 10, height: 10, data: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(300 * 1024)]).toString('base64') }, 'body.layout.elements[6].data'],
    ];
    for (const [element, field] of cases) {
      const refused = await createTemplate(world.tokens.sa, { name: 'Bad', layout: layout('Bad', [element]) });
      expect(refused.statusCode, field).toBe(422);
      expect(refused.json().error).toMatchObject({ code: 'INVALID_TEMPLATE', details: { field } });
    }
    // A PNG header on bytes that do not decode passes the quick check and is caught when publishing renders it.
    const broken = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage')]).toString('base64');
    const created = (await createTemplate(world.tokens.sa, { name: 'Broken image', layout: layout('Broken', [{ type: 'image', x: 10, y: 10, width: 10, height: 10, data: broken }]) })).json<{ id: string; version: number }>();
    const publish = await world.call(world.tokens.sa, 'POST', `/v1/certificate-templates/${created.id}/publish`, { version: created.version });
    expect(publish.statusCode).toBe(422);
    expect(publish.json().error.details).toEqual({ field: 'body.layout.elements[6].data' });
  });

  it('lets an AP write only its providers’ templates, others read only what is theirs to read', async () => {
    expect((await createTemplate(world.tokens.ap, { name: 'Global by AP', layout: layout('x') })).statusCode).toBe(403);
    expect((await createTemplate(world.tokens.instructor, { name: 'By IC', layout: layout('x') })).statusCode).toBe(403);
    const own = (await createTemplate(world.tokens.ap, { name: 'Own', provider_id: world.providerId, layout: layout('x') })).json<{ id: string; version: number }>();
    expect((await world.call(world.tokens.otherAp, 'GET', `/v1/certificate-templates/${own.id}`)).statusCode).toBe(404);
    expect((await world.call(world.tokens.otherAp, 'POST', `/v1/certificate-templates/${own.id}/publish`, { version: own.version })).statusCode).toBe(404);
    expect((await world.call(world.tokens.ad, 'GET', `/v1/certificate-templates/${own.id}`)).statusCode).toBe(200);
  });

  it('gives a pinned template version only to callers who may select it, also once another caller has had it', async () => {
    const own = (await createTemplate(world.tokens.ap, { name: 'Provider only', provider_id: world.providerId, layout: layout('Provider only') })).json<{ id: string; version: number }>();
    expect((await world.call(world.tokens.ap, 'POST', `/v1/certificate-templates/${own.id}/publish`, { version: own.version })).statusCode).toBe(200);
    const { rows: [published] } = await context.db.query<{ id: string }>('select id from certificate_template_versions where template_id = $1', [own.id]);
    const memberOf = async (userId: string) =>
      (await context.db.query<{ provider_id: string }>('select provider_id from provider_members where user_id = $1', [userId])).rows[0]!.provider_id;
    const ap = { userId: world.ap.id, role: 'AP' as const, providerId: await memberOf(world.ap.id) };
    const otherAp = { userId: world.otherAp.id, role: 'AP' as const, providerId: await memberOf(world.otherAp.id) };
    // The provider's AP reads it (and the process now holds its content)…
    expect((await context.db.withActor(ap, (tx) => pinnedTemplateVersion(tx, published!.id))).template_id).toBe(own.id);
    // …which another provider's AP, who may not select it, still does not get, neither does a signed-out caller.
    for (const actor of [otherAp, { userId: null, role: 'ANON' as const, providerId: null }]) {
      await expect(context.db.withActor(actor, (tx) => pinnedTemplateVersion(tx, published!.id))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    expect((await context.db.withActor(ap, (tx) => pinnedTemplateVersion(tx, published!.id))).layout).toEqual(layout('Provider only'));
  });

  it('prints a certificate with the version its course names, and keeps printing it after the template moves on', async () => {
    const created = (await createTemplate(world.tokens.sa, { name: 'Course template', layout: layout('Version one heading') })).json<{ id: string; version: number }>();
    const v1 = (await world.call(world.tokens.sa, 'POST', `/v1/certificate-templates/${created.id}/publish`, { version: created.version })).json<{ version: number }>();
    const settings = await world.call(world.tokens.sa, 'PUT', `/v1/courses/${world.courseId}/certificate-settings`, { template_id: created.id, issue_on_completion: false });
    expect(settings.statusCode, settings.body).toBe(200);
    expect(settings.json()).toMatchObject({ template_id: created.id, issue_on_completion: false, certificate_validity_months: 24, version: 1 });

    const { enrollmentId } = await world.student();
    const certificate = await world.issue(world.tokens.instructor, enrollmentId);
    expect(certificate['template']).toEqual({ id: created.id, name: 'Course template', version: '1' });
    const pdf = (await world.call(world.tokens.sa, 'GET', `/v1/certificates/${certificate.id}/pdf`)).rawPayload;
    expect(sha256(pdf)).toBe(certificate.pdf_sha256);
    expect(flat(await pdfText(pdf))).toContain('Version one heading');

    const edited = (await world.call(world.tokens.sa, 'PATCH', `/v1/certificate-templates/${created.id}`, { layout: layout('Version two heading'), version: v1.version })).json<{ version: number }>();
    await world.call(world.tokens.sa, 'POST', `/v1/certificate-templates/${created.id}/publish`, { version: edited.version });
    const again = (await world.call(world.tokens.sa, 'GET', `/v1/certificates/${certificate.id}/pdf`)).rawPayload;
    expect(sha256(again)).toBe(certificate.pdf_sha256);

    const next = await world.issue(world.tokens.instructor, (await world.student()).enrollmentId);
    expect(next['template']).toMatchObject({ version: '2' });
    expect(flat(await pdfText((await world.call(world.tokens.sa, 'GET', `/v1/certificates/${next.id}/pdf`)).rawPayload))).toContain('Version two heading');
    await world.call(world.tokens.sa, 'PUT', `/v1/courses/${world.courseId}/certificate-settings`, { template_id: null, issue_on_completion: false, version: 1 });
  });

  it('refuses course settings from a non-administrator and naming a template never published', async () => {
    // Invisible while a draft (404); once published an AP sees the course and is refused its settings.
    expect((await world.call(world.tokens.ap, 'PUT', `/v1/courses/${world.courseId}/certificate-settings`, { template_id: null, issue_on_completion: true })).statusCode).toBe(404);
    const course = (await world.call(world.tokens.sa, 'GET', `/v1/courses/${world.courseId}`)).json<{ version: number }>();
    expect((await world.call(world.tokens.sa, 'POST', `/v1/courses/${world.courseId}/publish`, { version: course.version })).statusCode).toBe(200);
    expect((await world.call(world.tokens.ap, 'PUT', `/v1/courses/${world.courseId}/certificate-settings`, { template_id: null, issue_on_completion: true })).statusCode).toBe(403);
    const draft = (await createTemplate(world.tokens.sa, { name: 'Never published', layout: layout('x') })).json<{ id: string }>();
    const refused = await world.call(world.tokens.sa, 'PUT', `/v1/courses/${world.courseId}/certificate-settings`, { template_id: draft.id, issue_on_completion: true });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.details).toEqual({ field: 'body.template_id' });
  });
});
