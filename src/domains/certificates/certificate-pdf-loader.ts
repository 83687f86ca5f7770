import { createHash } from 'node:crypto';
import type * as CertificatePdf from './certificate-pdf.js';

type Renderer = typeof CertificatePdf;

let renderer: Promise<Renderer> | undefined;

/**
 * Renders with certificate-pdf.ts, loaded when the process first renders a certificate: its modules
 * (pdf-lib, fontkit, qrcode) were about 0.4 s of CPU in every start, most of which render none (decision 0050).
 */
export async function renderCertificatePdf(...args: Parameters<Renderer['renderCertificatePdf']>): ReturnType<Renderer['renderCertificatePdf']> {
  return (await (renderer ??= import('./certificate-pdf.js'))).renderCertificatePdf(...args);
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
