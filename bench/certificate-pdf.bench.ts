import { loadavg } from 'node:os';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { renderCertificatePdf } from '../src/domains/certificates/certificate-pdf-loader.js';
import type { CertificateSnapshot } from '../src/domains/certificates/certificate-snapshot.js';
import { report } from './report.js';

interface Rates { perSecond: number; cpuMsEach: number }

/**
 * Renders done one after another for `durationMs` after a few warm-up renders: one core's rate by the
 * clock, and the CPU milliseconds each render took (process user + system time), which moves much less
 * than the rate when other processes share the cores.
 */
async function rendersPerSecond(render: () => Promise<Uint8Array>, durationMs: number): Promise<Rates> {
  for (let i = 0; i < 5; i += 1) await render();
  let count = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    await render();
    count += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: count / seconds, cpuMsEach: (used.user + used.system) / 1000 / count };
}

/** The anchor: pdf-lib making one page with one line of a standard font, the least a PDF library can do. */
async function barePage(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  document.addPage([841.89, 595.28]).drawText('Certificate of completion', { x: 70, y: 400, size: 24, font });
  return document.save();
}

/** Each certificate its own recipient and code (so its own QR code); Greek and Cyrillic in the course and instructor. */
const snapshot = (index: number, renderer: 3 | undefined): CertificateSnapshot => {
  const code = `ZY26-3XAK-${String(index % 10_000).padStart(4, '0')}-CMRK`;
  return {
    template: { id: null, name: 'Unitrain standard', version: 'built-in-1' },
    printed: {
      recipient_name: `Zoë Łukasiewicz-Øster ${index}`, course_name: 'Πρώτες βοήθειες · Первая помощь', course_code: 'FA-101', hours: 7.5,
      completed_on: '2026-12-05', practical_score: 92.5, written_score: 88, instructor_name: 'Владимир Иванов',
      location_name: 'Own hall', location_place: 'London, GB', provider_name: 'Safe Hands Ltd',
    },
    issue_date: '2026-12-06', expiry_date: '2029-12-06', verification_code: code,
    verification_url: `https://unitrain.example/verify/${code}`,
    ...(renderer === undefined ? {} : { renderer }),
  };
};

/**
 * Certificate PDFs rendered per second on one core (this process renders one at a time), each with
 * another recipient and code so no render repeats the last, against pdf-lib's bare one-line page in the
 * same run: renderer 3 (the compiled template, what an issue writes since decision 0061) and renderer 2
 * (pdf-lib, kept for the certificates issued before). Also per CPU second, from the CPU time each render
 * took. The issue's goal: 300 per second.
 */
export async function run(): Promise<void> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
  const anchor = await rendersPerSecond(barePage, seconds * 1000);
  let index = 0;
  const compiled = await rendersPerSecond(() => renderCertificatePdf(snapshot((index += 1), 3)), seconds * 1000);
  const pdfLib = await rendersPerSecond(() => renderCertificatePdf(snapshot((index += 1), undefined)), seconds * 1000);
  const bare = 'pdf-lib: one page, one line of Helvetica';
  const bareCpu = 'pdf-lib: one page, one line of Helvetica, per CPU second';
  await report('certificate-pdf', {
    seconds, goal: '300 PDFs/s', rendered: index, loadAverage: loadavg().map((load) => Number(load.toFixed(1))),
    cpuMsEach: { bare: anchor.cpuMsEach, renderer3: compiled.cpuMsEach, renderer2: pdfLib.cpuMsEach },
  }, [
    { name: bare, rate: anchor.perSecond },
    { name: 'Unitrain renderer 3: certificate PDF (compiled template)', rate: compiled.perSecond, baseline: bare },
    { name: 'Unitrain renderer 2: certificate PDF (pdf-lib, issued before)', rate: pdfLib.perSecond, baseline: bare },
    { name: bareCpu, rate: 1000 / anchor.cpuMsEach },
    { name: 'Unitrain renderer 3, per CPU second', rate: 1000 / compiled.cpuMsEach, baseline: bareCpu },
  ]);
}
