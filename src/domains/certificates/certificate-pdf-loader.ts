import { createHash } from 'node:crypto';
import type * as CompiledPdf from './certificate-pdf-compiled.js';
import type * as PdfLibPdf from './certificate-pdf.js';
import type { CertificateSnapshot } from './certificate-snapshot.js';
import type { TemplateLayout } from './template-layout.js';

let compiledRenderer: Promise<typeof CompiledPdf> | undefined;
let pdfLibRenderer: Promise<typeof PdfLibPdf> | undefined;

/**
 * The certificate's PDF by the renderer its snapshot names: renderer 3 (the compiled template, decision
 * 0061) for certificates issued since, pdf-lib (renderers 1 and 2) for those issued before, whose stored
 * hashes are of its bytes. Each renderer is loaded when the process first needs it: their modules were
 * about 0.4 s of CPU in every start, most of which render none (decision 0050).
 */
export async function renderCertificatePdf(snapshot: CertificateSnapshot, layout?: TemplateLayout): Promise<Uint8Array> {
  if (snapshot.renderer === 3) return (await (compiledRenderer ??= import('./certificate-pdf-compiled.js'))).renderCompiledCertificatePdf(snapshot, layout);
  return (await (pdfLibRenderer ??= import('./certificate-pdf.js'))).renderPdfLibCertificatePdf(snapshot, layout);
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
