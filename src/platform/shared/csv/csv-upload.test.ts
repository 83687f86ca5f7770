import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../http/error-handler.js';
import { csvUploadOf, registerCsvUploads } from './csv-upload.js';

// The upload plumbing on a real Fastify instance with the API's error handling and a 64-byte limit.
let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  registerErrorHandling(app);
  await registerCsvUploads(app, 64);
  app.post('/upload', async (request) => ({ text: (await csvUploadOf(request)).toString('utf8') }));
  await app.ready();
});

afterAll(() => app.close());

const boundary = 'unitrain-test-boundary';
function form(file: string, filename = 'students.csv'): string {
  return [`--${boundary}`, `Content-Disposition: form-data; name="file"; filename="${filename}"`, 'Content-Type: text/csv', '', file, `--${boundary}--`, ''].join('\r\n');
}
const multipartHeaders = { 'content-type': `multipart/form-data; boundary=${boundary}` };

describe('CSV uploads', () => {
  it('takes the file as a text/csv body or as the file of a form', async () => {
    const direct = await app.inject({ method: 'POST', url: '/upload', headers: { 'content-type': 'text/csv' }, payload: 'email\na@example.test\n' });
    expect(direct.json()).toEqual({ text: 'email\na@example.test\n' });
    const viaForm = await app.inject({ method: 'POST', url: '/upload', headers: multipartHeaders, payload: form('email\nb@example.test') });
    expect(viaForm.json()).toEqual({ text: 'email\nb@example.test' });
  });

  it('answers a file over the limit with 413 and a broken or unsupported request with a 4xx, never a 500', async () => {
    const big = 'email\n' + 'x'.repeat(100);
    const tooLargeForm = await app.inject({ method: 'POST', url: '/upload', headers: multipartHeaders, payload: form(big) });
    expect(tooLargeForm.statusCode).toBe(413);
    expect(tooLargeForm.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const tooLargeBody = await app.inject({ method: 'POST', url: '/upload', headers: { 'content-type': 'text/csv' }, payload: big });
    expect(tooLargeBody.statusCode).toBe(413);
    const noBoundary = await app.inject({ method: 'POST', url: '/upload', headers: { 'content-type': 'multipart/form-data' }, payload: form('email') });
    expect(noBoundary.statusCode).toBeGreaterThanOrEqual(400);
    expect(noBoundary.statusCode).toBeLessThan(500);
    const noFile = await app.inject({
      method: 'POST', url: '/upload', headers: multipartHeaders,
      payload: [`--${boundary}`, 'Content-Disposition: form-data; name="note"', '', 'hello', `--${boundary}--`, ''].join('\r\n'),
    });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'file' } });
    const json = await app.inject({ method: 'POST', url: '/upload', payload: { email: 'a@example.test' } });
    expect(json.statusCode).toBe(415);
  });
});
