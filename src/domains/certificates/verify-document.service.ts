import { AppError } from '../../errors.js';
import { sha256Hex } from './certificate-pdf-loader.js';
import type { CertificateStatus } from './certificates.repository.js';
import { type CertificatesDeps, verifyByCode } from './certificates.service.js';

/** Every PDF starts with this header (ISO 32000-1 §7.5.2); a certificate's is at byte 0. */
const pdfHeader = Buffer.from('%PDF-');

export interface DocumentVerification {
  verification_code: string;
  /** The certificate's state today, as GET /v1/verify/:code answers it. */
  status: CertificateStatus;
  /** True when the document is byte for byte the PDF issued; null when the certificate's PDF was never hashed. */
  matches: boolean | null;
  document_sha256: string;
  pdf_sha256: string | null;
}

/**
 * Whether an uploaded PDF is the one issued under a code: its SHA-256 against the hash stored at issue,
 * so an edited PDF (a changed name, date or score) does not match. Counted like a verification; a code
 * that is malformed, forged or unknown answers 404 like GET /v1/verify/:code.
 */
export async function verifyDocument(deps: CertificatesDeps, typedCode: string, document: Buffer): Promise<DocumentVerification> {
  if (document.length === 0 || !document.subarray(0, pdfHeader.length).equals(pdfHeader)) {
    throw new AppError('VALIDATION_FAILED', 'the document is not a PDF (it does not start with %PDF-)', { field: 'body' });
  }
  const documentSha256 = sha256Hex(document);
  const verification = await verifyByCode(deps, typedCode);
  return {
    verification_code: verification.verification_code,
    status: verification.status,
    matches: verification.pdf_sha256 === null ? null : verification.pdf_sha256 === documentSha256,
    document_sha256: documentSha256,
    pdf_sha256: verification.pdf_sha256,
  };
}
