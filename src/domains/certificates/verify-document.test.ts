import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testAuthSettings } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { type CertificateJson, createCertificateWorld, type CertificateWorld } from '../../../test/world.js';
import { maxDocumentBytes } from './verify-document.routes.js';

// Real database, real HTTP, the PDF as the server renders it, and edits made with a real PDF library.
const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;
let certificate: CertificateJson;
let pdf: Buffer;
beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
  const { token, enrollmentId } = await world.student();
  certificate = await world.issue(world.tokens.instructor, enrollmentId);
  pdf = (await world.call(token, 'GET', `/v1/certificates/${certificate.id}/pdf`)).rawPayload;
});

const post = (code: string, payload: Buffer | string, contentType = 'application/pdf') =>
  context.app.inject({ method: 'POST', url: `/v1/verify/${code}/document`, headers: { 'content-type': contentType }, payload });

function multipart(file: Buffer, field = 'file'): { body: Buffer; contentType: string } {
  const boundary = '----unitrain-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="certificate.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('POST /v1/verify/:code/document (signed out)', () => {
  it('says the issued PDF matches, typed code or not, as a body or a form upload, and counts each check', async () => {
    const response = await post(certificate.verification_code.toLowerCase().replaceAll('-', ' '), pdf);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({
      verification_code: certificate.verification_code, status: 'ACTIVE', matches: true,
      document_sha256: certificate.pdf_sha256, pdf_sha256: certificate.pdf_sha256,
    });
    const form = multipart(pdf);
    expect((await post(certificate.verification_code, form.body, form.contentType)).json()).toMatchObject({ matches: true });
    expect((await world.call(world.tokens.ap, 'GET', `/v1/certificates/${certificate.id}`)).json()).toMatchObject({ verification_count: 2 });
  });

  it('catches an edited PDF: a changed name, or one byte, does not match', async () => {
    const document = await PDFDocument.load(pdf);
    document.setTitle('Certificate: Πρώτες βοήθειες · First aid, Somebody Else');
    const edited = Buffer.from(await document.save({ useObjectStreams: false }));
    const oneByte = Buffer.from(pdf);
    oneByte[Math.floor(oneByte.length / 2)]! ^= 0x01;
    for (const changed of [edited, oneByte]) {
      const answer = (await post(certificate.verification_code, changed)).json<{ matches: boolean; document_sha256: string; pdf_sha256: string }>();
      expect(answer.matches).toBe(false);
      expect(answer.document_sha256).not.toBe(answer.pdf_sha256);
    }
  });

  it('shows the state of the certificate with the answer (a suspended one matches, and says SUSPENDED)', async () => {
    const { token, enrollmentId } = await world.student({ firstName: 'Susp', lastName: 'Ended' });
    const other = await world.issue(world.tokens.instructor, enrollmentId);
    const otherPdf = (await world.call(token, 'GET', `/v1/certificates/${other.id}/pdf`)).rawPayload;
    await world.call(world.tokens.ap, 'POST', `/v1/certificates/${other.id}/suspend`, { reason: 'under review', version: other.version });
    expect((await post(other.verification_code, otherPdf)).json()).toMatchObject({ status: 'SUSPENDED', matches: true });
    // Another certificate's genuine PDF is not this one's.
    expect((await post(other.verification_code, pdf)).json()).toMatchObject({ matches: false });
  });

  it('answers an unknown, a malformed and a forged code alike (404), whatever the document', async () => {
    const code = certificate.verification_code;
    const forged = `${code.slice(0, -1)}${code.endsWith('0') ? '1' : '0'}`;
    for (const typed of ['0000-0000-0000-0000', 'not a code', forged, '%3Cscript%3E', 'A'.repeat(60)]) {
      const answer = await post(typed, pdf);
      expect(answer.statusCode, typed).toBe(404);
      expect(answer.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no certificate has this code' } });
    }
  });

  it('refuses what is not a PDF (400), another media type or none (415), and a document over the limit (413), never a 5xx', async () => {
    const code = certificate.verification_code;
    expect((await post(code, 'hello, not a PDF')).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body' } } });
    expect((await post(code, Buffer.alloc(0))).statusCode).toBe(400);
    expect((await post(code, '{"pdf": true}', 'application/json')).json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect((await post(code, pdf, 'text/plain')).statusCode).toBe(415);
    expect((await context.app.inject({ method: 'POST', url: `/v1/verify/${code}/document` })).statusCode).toBe(415);
    const huge = Buffer.concat([pdf, Buffer.alloc(maxDocumentBytes)]);
    expect((await post(code, huge)).json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const hugeForm = multipart(huge);
    expect((await post(code, hugeForm.body, hugeForm.contentType)).statusCode).toBe(413);
    const noFile = multipart(pdf, 'other');
    expect((await post(code, Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--b--\r\n'), 'multipart/form-data; boundary=b')).statusCode).toBe(400);
    expect((await post(code, noFile.body, 'multipart/form-data')).statusCode).toBeLessThan(500);
    for (const garbage of [Buffer.from('%PDF-1.7\n\u0000\u0000garbage'), Buffer.from('%PDF-'), Buffer.alloc(1000, 0xff)]) {
      expect((await post(code, garbage)).statusCode).toBeLessThan(500);
    }
  });

  it('is rate-limited per client like verification', async () => {
    const limited = await buildTestApp(context.db, { auth: { ...testAuthSettings, publicRateLimitPerMinute: 2 } });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await limited.inject({ method: 'POST', url: `/v1/verify/${certificate.verification_code}/document`, headers: { 'content-type': 'application/pdf' }, payload: pdf })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
