import { printedDate, printedScore } from './certificate-snapshot.js';
import type { Verification } from './certificates.service.js';

/**
 * The public verification page: plain HTML, no script, one small stylesheet from /verify/verify.css, so
 * it shows under the server's Content-Security-Policy (src/platform/http/response-headers.ts: styles from 'self'
 * only, no inline). Every value is escaped.
 */
export const verificationStylesheetPath = '/verify/verify.css';

export const verificationStylesheet = `body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1b1f24;background:#f4f5f7}
main{max-width:36rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.1rem;margin:0 0 1rem;color:#555}
.status{font-size:2rem;font-weight:700;margin:0 0 .25rem;letter-spacing:.04em}
.VALID{color:#176b2c}.EXPIRED{color:#8a5a00}.REVOKED,.SUSPENDED,.UNKNOWN{color:#b3261e}
.why{margin:0 0 1rem}
dl{background:#fff;border-radius:.5rem;padding:1rem;margin:0}
dt{font-size:.8rem;color:#555;text-transform:uppercase;letter-spacing:.05em}
dd{margin:0 0 .75rem;overflow-wrap:anywhere}
code{font-size:.95rem}
`;

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => escapes[character]!);

const dayOf = (moment: Date | string) => printedDate(new Date(moment).toISOString());

/** The headline and the line under it, per state. */
function verdict(certificate: Verification): { word: string; why: string | null } {
  switch (certificate.status) {
    case 'ACTIVE':
      return { word: 'VALID', why: certificate.expiry_date ? `Valid until ${printedDate(certificate.expiry_date)}` : 'Does not expire' };
    case 'EXPIRED':
      return { word: 'EXPIRED', why: certificate.expiry_date ? `Expired on ${printedDate(certificate.expiry_date)}` : null };
    case 'REVOKED':
      return {
        word: 'REVOKED',
        why: [certificate.revoked_at && `Revoked on ${dayOf(certificate.revoked_at)}`, certificate.revoked_reason].filter(Boolean).join(': ') || null,
      };
    case 'SUSPENDED':
      return {
        word: 'SUSPENDED',
        why: [certificate.suspended_at && `Suspended on ${dayOf(certificate.suspended_at)}`, certificate.suspended_reason].filter(Boolean).join(': ') || null,
      };
  }
}

/** The facts the PDF prints, in its words, and only those. */
function printedLines(certificate: Verification): Array<[string, string]> {
  const { printed } = certificate;
  const lines: Array<[string, string | null]> = [
    ['Awarded to', printed.recipient_name],
    ['Course', printed.course_name],
    ['', [printed.course_code, printed.hours === null ? null : `${printedScore(printed.hours)} hours`].filter(Boolean).join(' · ') || null],
    ['Completed on', printed.completed_on && printedDate(printed.completed_on)],
    ['Location', [printed.location_name, printed.location_place].filter(Boolean).join(', ') || null],
    ['Instructor', printed.instructor_name],
    ['Provider', printed.provider_name],
    ['Scores', [printed.practical_score === null ? null : `Practical ${printedScore(printed.practical_score)}`,
      printed.written_score === null ? null : `Written ${printedScore(printed.written_score)}`].filter(Boolean).join(' · ') || null],
    ['Issued', printedDate(certificate.issue_date)],
    ['Valid until', certificate.expiry_date ? printedDate(certificate.expiry_date) : 'Does not expire'],
    ['Code', certificate.verification_code],
  ];
  return lines.filter((line): line is [string, string] => line[1] !== null && line[1] !== '');
}

const page = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${verificationStylesheetPath}">
</head>
<body>
<main>
<h1>Certificate verification</h1>
${body}
</main>
</body>
</html>
`;

export function renderVerificationPage(certificate: Verification | null): string {
  if (certificate === null) {
    return page('No certificate has this code', '<p class="status UNKNOWN">NOT FOUND</p>\n<p class="why">No certificate has this code. Check it against the certificate and type it again.</p>');
  }
  const { word, why } = verdict(certificate);
  const facts = printedLines(certificate)
    .map(([term, value]) => (term === '' ? `<dd>${escapeHtml(value)}</dd>` : `<dt>${escapeHtml(term)}</dt><dd>${term === 'Code' ? `<code>${escapeHtml(value)}</code>` : escapeHtml(value)}</dd>`))
    .join('\n');
  const replaced = certificate.replaced_by_code ? `\n<p class="why">Replaced by the certificate with code <code>${escapeHtml(certificate.replaced_by_code)}</code>.</p>` : '';
  return page(`${word}: ${certificate.printed.course_name}, ${certificate.printed.recipient_name}`,
    `<p class="status ${word}">${word}</p>\n${why ? `<p class="why">${escapeHtml(why)}</p>` : ''}${replaced}\n<dl>\n${facts}\n</dl>`);
}
