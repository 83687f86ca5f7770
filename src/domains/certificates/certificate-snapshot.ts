/** What a certificate prints, frozen when it is issued (certificates.snapshot). */
export interface PrintedFacts {
  recipient_name: string;
  course_name: string;
  course_code: string | null;
  hours: number | null;
  completed_on: string | null;
  practical_score: number | null;
  written_score: number | null;
  instructor_name: string | null;
  location_name: string | null;
  location_place: string | null;
  provider_name: string | null;
}

export interface CertificateSnapshot {
  /** The layout it was rendered with: the built-in one until templates are published. */
  template: { id: string | null; name: string; version: string };
  printed: PrintedFacts;
  issue_date: string;
  expiry_date: string | null;
  verification_code: string;
  verification_url: string;
  /**
   * Which renderer drew the PDF its stored hash was taken from. 1: issued before the QR code was drawn
   * as vectors (migration 0050), a PNG QR code. Absent: pdf-lib with vectors (renderer 2, decision 0048).
   * 3: the compiled template (decision 0061), what an issue writes since.
   */
  renderer?: 1 | 3;
}

export const builtInTemplate = { id: null, name: 'Unitrain standard', version: 'built-in-1' } as const;

/** The public verification page of a code, under the server's public base URL. */
export const verificationPath = (code: string) => `/verify/${code}`;

const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2026-12-06` → `6 December 2026`, the same on every machine (no locale data involved). */
export function printedDate(isoDate: string): string {
  const [year, month, day] = isoDate.slice(0, 10).split('-').map(Number) as [number, number, number];
  return `${day} ${months[month - 1]} ${year}`;
}

/** 92.50 → `92.5`, 90.00 → `90`. */
export const printedScore = (score: number) => String(Number(score));
