import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { pdfQrCodes, pdfText } from '../../../test/pdf-reading.js';
import { useTestApp } from '../../../test/test-app.js';
import { migrateDown, migrateUp } from '../../platform/db/migrations/migrator.js';
import { builtInLayout } from './built-in-template.js';
import { renderPdfLibCertificatePdf } from './certificate-pdf.js';
import { renderCertificatePdf } from './certificate-pdf-loader.js';
import { builtInTemplate, type CertificateSnapshot } from './certificate-snapshot.js';
import type { TemplateLayout } from './template-layout.js';
import { createCertificateWorld, type CertificateWorld } from '../../../test/world.js';

const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** PDF.js may split a line into runs and decompose accented letters: compare evened-out, composed text. */
const flat = (text: string) => text.normalize('NFC').replace(/\s+/g, ' ');

describe('GET /v1/certificates/:id/pdf', () => {
  it('renders the same bytes every time, hashing to the stored SHA-256, with the name, course and a QR code of the verification URL', async () => {
    const { token, enrollmentId } = await world.student({ firstName: 'Владимир', lastName: 'Иванов' });
    const certificate = await world.issue(world.tokens.instructor, enrollmentId);
    const first = await world.call(token, 'GET', `/v1/certificates/${certificate.id}/pdf`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/pdf');
    const bytes = first.rawPayload;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(sha256(bytes)).toBe(certificate.pdf_sha256);
    const again = await world.call(world.tokens.instructor, 'GET', `/v1/certificates/${certificate.id}/pdf`);
    expect(sha256(again.rawPayload)).toBe(certificate.pdf_sha256);

    const text = flat(await pdfText(bytes));
    expect(text).toContain('Владимир Иванов');
    expect(text).toContain('Πρώτες βοήθειες · First aid');
    expect(text).toContain(certificate.verification_code);
    expect(text).toContain('Valid until');
    expect(await pdfQrCodes(bytes)).toEqual([`https://certs.example/verify/${certificate.verification_code}`]);
    // Fonts are embedded as subsets: the file stays small.
    expect(bytes.length).toBeLessThan(60_000);
    // Issued now: drawn by the compiled template (decision 0061), and its snapshot says so.
    const { rows: [stored] } = await context.db.query<{ renderer: number }>("select (snapshot ->> 'renderer')::int as renderer from certificates where id = $1", [certificate.id]);
    expect(stored!.renderer).toBe(3);
  });

  it('prints Latin, Greek and Cyrillic names and every printed fact', async () => {
    const snapshot: CertificateSnapshot = {
      template: { ...builtInTemplate },
      printed: {
        recipient_name: 'Zoë Łukasiewicz-Øster', course_name: 'Первая помощь', course_code: 'FA-1', hours: 7.5, completed_on: '2031-05-05',
        practical_score: 92.5, written_score: 88, instructor_name: 'Ἀλέξανδρος Παπαδόπουλος', location_name: 'Own hall', location_place: 'Leeds, GB',
        provider_name: 'Safe Hands Training',
      },
      issue_date: '2031-05-06', expiry_date: '2033-05-06', verification_code: '7KQ2-M9XD-4HVA-0RTE', verification_url: 'https://certs.example/verify/7KQ2-M9XD-4HVA-0RTE',
    };
    const bytes = await renderPdfLibCertificatePdf(snapshot);
    const text = flat(await pdfText(bytes));
    for (const fact of ['Zoë Łukasiewicz-Øster', 'Первая помощь', 'FA-1 · 7.5 hours', 'Completed on 5 May 2031', 'Own hall, Leeds, GB',
      'Instructor: Ἀλέξανδρος Παπαδόπουλος', 'Provider: Safe Hands Training', 'Practical 92.5 · Written 88', 'Issued 6 May 2031', 'Valid until 6 May 2033']) {
      expect(text).toContain(fact);
    }
    // A different fact, a different file: the hash tells an edited certificate from the issued one.
    const renamed = await renderPdfLibCertificatePdf({ ...snapshot, printed: { ...snapshot.printed, recipient_name: 'Zoe Lukasiewicz-Oster' } });
    expect(sha256(renamed)).not.toBe(sha256(bytes));
    expect(sha256(await renderPdfLibCertificatePdf(snapshot))).toBe(sha256(bytes));
  });

  const earlier: CertificateSnapshot = {
    template: { ...builtInTemplate },
    printed: {
      recipient_name: 'Zoë Łukasiewicz-Øster', course_name: 'Первая помощь', course_code: 'FA-1', hours: 7.5, completed_on: '2031-05-05',
      practical_score: 92.5, written_score: 88, instructor_name: 'Ἀλέξανδρος Παπαδόπουλος', location_name: 'Own hall', location_place: 'Leeds, GB',
      provider_name: 'Safe Hands Training',
    },
    issue_date: '2031-05-06', expiry_date: '2033-05-06', verification_code: '7KQ2-M9XD-4HVA-0RTE', verification_url: 'https://certs.example/verify/7KQ2-M9XD-4HVA-0RTE',
  };

  it('draws a certificate of the first renderer byte for byte as it was issued (QR code as an image), whatever was drawn before', async () => {
    await renderPdfLibCertificatePdf({ ...earlier, printed: { ...earlier.printed, recipient_name: 'Ἀλέξανδρος Łukasz' } });
    const bytes = await renderPdfLibCertificatePdf({ ...earlier, renderer: 1 });
    // The SHA-256 the renderer of migrations 0032–0049 gave this snapshot: its stored hashes must keep matching.
    expect(sha256(bytes)).toBe('26075f55070fe810fc2450ee43accdba6da8c80afdd4071e3384fb054eadbf9b');
    expect(await pdfQrCodes(bytes)).toEqual([earlier.verification_url]);
  });

  it('keeps drawing the certificates issued before migration 0050 with the first renderer, so their stored hashes match', async () => {
    const { token, enrollmentId } = await world.student({ firstName: 'Ådne', lastName: 'Łoś' });
    const certificate = await world.issue(world.tokens.instructor, enrollmentId);
    // Back to before migration 0050 (and whatever came after it), as the database was when it was issued.
    await migrateDown(context.db, { toVersion: 49 });
    // As the renderer before vectors issued it: its hash is that of the first renderer's bytes.
    const { rows: [row] } = await context.db.query<{ snapshot: CertificateSnapshot }>('select snapshot from certificates where id = $1', [certificate.id]);
    const issuedHash = sha256(await renderPdfLibCertificatePdf({ ...row!.snapshot, renderer: 1 }));
    // Issued then, its snapshot named no renderer (this one was issued by renderer 3, decision 0061).
    await context.db.query("update certificates set pdf_sha256 = $2, snapshot = snapshot - 'renderer' where id = $1", [certificate.id, issuedHash]);
    await migrateUp(context.db);
    const pdf = await world.call(token, 'GET', `/v1/certificates/${certificate.id}/pdf`);
    expect(sha256(pdf.rawPayload)).toBe(issuedHash);
    const { rows: [marked] } = await context.db.query<{ renderer: number }>("select (snapshot ->> 'renderer')::int as renderer from certificates where id = $1", [certificate.id]);
    expect(marked!.renderer).toBe(1);
  });

  it('gives the same bytes whatever was drawn before in the process (the font caches carry nothing between certificates)', async () => {
    const fresh = sha256(await renderPdfLibCertificatePdf(earlier));
    for (const recipient_name of ['Ἀλέξανδρος Anna', 'Анна Ōsaka-Ægir', 'ﬁfty ﬂoors']) await renderPdfLibCertificatePdf({ ...earlier, printed: { ...earlier.printed, recipient_name } });
    expect(sha256(await renderPdfLibCertificatePdf(earlier))).toBe(fresh);
    const text = flat(await pdfText(await renderPdfLibCertificatePdf({ ...earlier, printed: { ...earlier.printed, recipient_name: 'Anna Adams' } })));
    expect(text).toContain('Anna Adams');
  });

  it('keeps the bytes of the certificates issued before decision 0061 (renderer 2, pdf-lib), whichever way they are rendered', async () => {
    // The SHA-256 the renderer of migrations 0050–0060 gave this snapshot: its stored hashes must keep matching.
    const pinned = 'a79a88946f9ff3fcaa010913e51835d24925208abe9053ff4350c246fedc1147';
    expect(sha256(await renderPdfLibCertificatePdf(earlier))).toBe(pinned);
    expect(sha256(await renderCertificatePdf(earlier))).toBe(pinned);
  });

  const current: CertificateSnapshot = { ...earlier, renderer: 3 };

  it('draws a certificate issued since decision 0061 from the compiled template: every fact in three scripts, the QR code, pinned bytes', async () => {
    const bytes = await renderCertificatePdf(current);
    // Renderer 3's bytes for this snapshot: a change to the renderer that moves them breaks issued hashes.
    expect(sha256(bytes)).toBe('3e0043d3a9c28f50adbf76b2dc5dde338c7007124d52354a4bbfcb7d9f3dce3d');
    const text = flat(await pdfText(bytes));
    for (const fact of ['CERTIFICATE OF COMPLETION', 'Zoë Łukasiewicz-Øster', 'Первая помощь', 'FA-1 · 7.5 hours', 'Completed on 5 May 2031', 'Own hall, Leeds, GB',
      'Instructor: Ἀλέξανδρος Παπαδόπουλος', 'Provider: Safe Hands Training', 'Practical 92.5 · Written 88', 'Issued 6 May 2031', 'Valid until 6 May 2033', '7KQ2-M9XD-4HVA-0RTE']) {
      expect(text).toContain(fact);
    }
    expect(await pdfQrCodes(bytes)).toEqual([current.verification_url]);
    expect(bytes.length).toBeLessThan(60_000);
    // The fonts are embedded (a common part and a certificate's own glyphs per weight), not referred to.
    expect(Buffer.from(bytes).toString('latin1').match(/\/FontFile2 /g)).toHaveLength(4);
  });

  it('gives renderer 3 the same bytes whatever was drawn before, and from a copy of the layout as from the cached one', async () => {
    const fresh = sha256(await renderCertificatePdf(current));
    for (const recipient_name of ['Ἀλέξανδρος Anna', 'Анна Ōsaka-Ægir', 'ﬁfty ﬂoors', 'Anna Adams']) await renderCertificatePdf({ ...current, printed: { ...current.printed, recipient_name } });
    expect(sha256(await renderCertificatePdf(current))).toBe(fresh);
    expect(sha256(await renderCertificatePdf(current, structuredClone(builtInLayout)))).toBe(fresh);
    const text = flat(await pdfText(await renderCertificatePdf({ ...current, printed: { ...current.printed, recipient_name: 'Anna Adams' } })));
    expect(text).toContain('Anna Adams');
    // A different fact, a different file.
    expect(sha256(await renderCertificatePdf({ ...current, printed: { ...current.printed, recipient_name: 'Zoe Lukasiewicz-Oster' } }))).not.toBe(fresh);
  });

  it('renderer 3 prints fixed texts beyond the common letters, ligatures and letters the font lacks, and boxes as pdf-lib drew them', async () => {
    const layout: TemplateLayout = {
      page: { size: 'A4', orientation: 'portrait' },
      elements: [
        { type: 'box', x: 20, y: 20, width: 100, height: 10, border_width: 0 },
        { type: 'box', x: 20, y: 40, width: 100, height: 10, border_width: 2, fill_color: '#eeeeee' },
        { type: 'text', text: 'Πιστοποιητικό · Сертификат', x: 40, y: 700, size: 20, font: 'bold' },
        { type: 'text', text: 'Certified: {{recipient_name}}', x: 40, y: 600, size: 14 },
        { type: 'qr', x: 400, y: 80, size: 120 },
      ],
    };
    const snapshot = { ...current, printed: { ...current.printed, recipient_name: 'ﬁfty ﬂoors 中文' } };
    const bytes = await renderCertificatePdf(snapshot, layout);
    // PDF.js gives a ligature's letters (ﬁ → fi); a letter the font lacks prints nothing and reads as nothing.
    const text = flat(await pdfText(bytes)).normalize('NFKC');
    expect(text).toContain('Πιστοποιητικό · Сертификат');
    expect(text).toContain('Certified: fifty floors');
    expect(text).not.toContain('中');
    expect(await pdfQrCodes(bytes)).toEqual([current.verification_url]);
    expect(sha256(await renderCertificatePdf(snapshot, structuredClone(layout)))).toBe(sha256(bytes));
  });

  it('answers 404 to who may not see the certificate, 401 signed out', async () => {
    const { enrollmentId } = await world.student();
    const certificate = await world.issue(world.tokens.sa, enrollmentId);
    expect((await world.call(world.tokens.otherAp, 'GET', `/v1/certificates/${certificate.id}/pdf`)).statusCode).toBe(404);
    expect((await context.app.inject({ method: 'GET', url: `/v1/certificates/${certificate.id}/pdf` })).statusCode).toBe(401);
  });
});
