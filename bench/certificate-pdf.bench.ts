import { PDFDocument, StandardFonts } from 'pdf-lib';
import { renderCertificatePdf } from '../src/domains/certificates/certificate-pdf.js';
import type { CertificateSnapshot } from '../src/domains/certificates/certificate-snapshot.js';
import { report } from './report.js';

/** Renders done one after another for `durationMs` after a few warm-up renders: one core's rate. */
async function rendersPerSecond(render: () => Promise<Uint8Array>, durationMs: number): Promise<number> {
  for (let i = 0; i < 5; i += 1) await render();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    await render();
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}

/** The anchor: pdf-lib making one page with one line of a standard font, the least a PDF library can do. */
async function barePage(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  document.addPage([841.89, 595.28]).drawText('Certificate of completion', { x: 70, y: 400, size: 24, font });
  return document.save();
}

const snapshot = (index: number): CertificateSnapshot => ({
  template: { id: null, name: 'Unitrain standard', version: 'built-in-1' },
  printed: {
    recipient_name: `Zoë Łukasiewicz-Øster ${index}`, course_name: 'Πρώτες βοήθειες · Первая помощь', course_code: 'FA-101', hours: 7.5,
    completed_on: '2026-12-05', practical_score: 92.5, written_score: 88, instructor_name: 'Владимир Иванов',
    location_name: 'Own hall', location_place: 'London, GB', provider_name: 'Safe Hands Ltd',
  },
  issue_date: '2026-12-06', expiry_date: '2029-12-06', verification_code: 'ZY26-3XAK-DBJ1-CMRK',
  verification_url: 'https://unitrain.example/verify/ZY26-3XAK-DBJ1-CMRK',
});

/**
 * Certificate PDFs rendered per second on one core (this process renders one at a time), each with
 * another recipient so no render repeats the last, against pdf-lib's bare one-line page in the same run.
 * The issue's goal: 300 per second.
 */
export async function run(): Promise<void> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
  const anchor = await rendersPerSecond(barePage, seconds * 1000);
  let index = 0;
  const certificates = await rendersPerSecond(() => renderCertificatePdf(snapshot((index += 1))), seconds * 1000);
  await report('certificate-pdf', { seconds, goal: '300 PDFs/s', renderedPerRun: index }, [
    { name: 'pdf-lib: one page, one line of Helvetica', rate: anchor },
    { name: 'Unitrain: certificate PDF (Noto Sans subsets, QR code)', rate: certificates, baseline: 'pdf-lib: one page, one line of Helvetica' },
  ]);
}
