import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import { PDFDocument, type PDFFont, type PDFPage, rgb } from 'pdf-lib';
import QRCode from 'qrcode';
import { type CertificateSnapshot, printedDate, printedScore } from './certificate-snapshot.js';

const require = createRequire(import.meta.url);

/** Noto Sans (OFL) from its npm package: Latin, Greek and Cyrillic, so every name we store can be printed. */
const fontFiles = {
  regular: require.resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf'),
};
let fontBytes: Promise<{ regular: Uint8Array; bold: Uint8Array }> | undefined;
const loadFonts = () =>
  (fontBytes ??= Promise.all([readFile(fontFiles.regular), readFile(fontFiles.bold)]).then(([regular, bold]) => ({ regular, bold })));

/**
 * fontkit 2 for pdf-lib. pdf-lib was written against @pdf-lib/fontkit, whose subsetter drops glyphs of
 * Noto Sans (letters missing from the page); fontkit 2 subsets it correctly but encodes a subset in one
 * call where pdf-lib reads a stream, so this adapts that one method. Each render parses the font anew:
 * a parsed font kept between renders carries glyph state from earlier texts into later PDFs, which then
 * differ from a fresh render of the same certificate (seen as a wrong text layer).
 */
const pdfLibFontkit = {
  create(bytes: Uint8Array) {
    const font = fontkit.create(Buffer.from(bytes)) as fontkit.Font;
    return new Proxy(font, {
      get(target, property, receiver) {
        if (property !== 'createSubset') return Reflect.get(target, property, receiver) as unknown;
        return () => {
          const subset = target.createSubset();
          return Object.assign(subset, {
            encodeStream: () => ({
              on(event: string, listener: (value?: unknown) => void) {
                if (event === 'data') listener(subset.encode());
                if (event === 'end') listener();
                return this;
              },
            }),
          });
        };
      },
    });
  },
};

const ink = rgb(0.12, 0.16, 0.22);
const muted = rgb(0.35, 0.39, 0.45);
const accent = rgb(0.1, 0.32, 0.55);

/** Draws `text` centred on the page, shrunk until it fits `maxWidth`. */
function centred(page: PDFPage, text: string, y: number, font: PDFFont, size: number, color = ink, maxWidth = page.getWidth() - 140): void {
  let fitted = size;
  while (fitted > 8 && font.widthOfTextAtSize(text, fitted) > maxWidth) fitted -= 0.5;
  page.drawText(text, { x: (page.getWidth() - font.widthOfTextAtSize(text, fitted)) / 2, y, size: fitted, font, color });
}

/**
 * The certificate's PDF, from its snapshot alone: the same snapshot gives the same bytes (fixed metadata
 * dates, named font subsets, pdf-lib's seeded object names), so the SHA-256 stored at issue keeps matching.
 * A4 landscape, the built-in layout; the QR code carries the verification URL.
 */
export async function renderCertificatePdf(snapshot: CertificateSnapshot): Promise<Uint8Array> {
  const fonts = await loadFonts();
  const { printed } = snapshot;
  const document = await PDFDocument.create({ updateMetadata: false });
  document.registerFontkit(pdfLibFontkit as unknown as Parameters<typeof document.registerFontkit>[0]);
  const regular = await document.embedFont(fonts.regular, { subset: true, customName: 'NotoSans-Regular' });
  const bold = await document.embedFont(fonts.bold, { subset: true, customName: 'NotoSans-Bold' });
  const issued = new Date(`${snapshot.issue_date}T00:00:00Z`);
  document.setTitle(`Certificate: ${printed.course_name}, ${printed.recipient_name}`);
  document.setSubject(`Verification code ${snapshot.verification_code}`);
  document.setAuthor(printed.provider_name ?? 'Unitrain');
  document.setCreator('Unitrain');
  document.setProducer('Unitrain');
  document.setCreationDate(issued);
  document.setModificationDate(issued);

  const page = document.addPage([841.89, 595.28]);
  const { width, height } = page.getSize();
  page.drawRectangle({ x: 24, y: 24, width: width - 48, height: height - 48, borderColor: accent, borderWidth: 3 });
  page.drawRectangle({ x: 32, y: 32, width: width - 64, height: height - 64, borderColor: accent, borderWidth: 0.75 });

  centred(page, 'CERTIFICATE OF COMPLETION', height - 110, bold, 30, accent);
  centred(page, 'This certifies that', height - 160, regular, 14, muted);
  centred(page, printed.recipient_name, height - 205, bold, 32);
  page.drawLine({ start: { x: 200, y: height - 218 }, end: { x: width - 200, y: height - 218 }, thickness: 0.75, color: muted });
  centred(page, 'has successfully completed', height - 248, regular, 14, muted);
  centred(page, printed.course_name, height - 285, bold, 22);
  const courseLine = [printed.course_code, printed.hours === null ? null : `${printedScore(printed.hours)} hours`].filter(Boolean).join(' · ');
  if (courseLine) centred(page, courseLine, height - 308, regular, 12, muted);

  const facts = [
    printed.completed_on && `Completed on ${printedDate(printed.completed_on)}`,
    [printed.location_name, printed.location_place].filter(Boolean).join(', ') || null,
    printed.instructor_name && `Instructor: ${printed.instructor_name}`,
    printed.provider_name && `Provider: ${printed.provider_name}`,
    [printed.practical_score === null ? null : `Practical ${printedScore(printed.practical_score)}`,
      printed.written_score === null ? null : `Written ${printedScore(printed.written_score)}`].filter(Boolean).join(' · ') || null,
  ].filter((line): line is string => Boolean(line));
  facts.forEach((line, index) => page.drawText(line, { x: 70, y: 200 - index * 18, size: 11, font: regular, color: ink }));

  page.drawText(`Issued ${printedDate(snapshot.issue_date)}`, { x: 70, y: 90, size: 11, font: bold, color: ink });
  page.drawText(snapshot.expiry_date ? `Valid until ${printedDate(snapshot.expiry_date)}` : 'Does not expire', { x: 70, y: 72, size: 11, font: regular, color: ink });

  const qr = await document.embedPng(await QRCode.toBuffer(snapshot.verification_url, { type: 'png', errorCorrectionLevel: 'M', margin: 1, scale: 6 }));
  const qrSize = 110;
  page.drawImage(qr, { x: width - 70 - qrSize, y: 92, width: qrSize, height: qrSize });
  const codeText = snapshot.verification_code;
  page.drawText(codeText, { x: width - 70 - (qrSize + bold.widthOfTextAtSize(codeText, 10)) / 2, y: 76, size: 10, font: bold, color: ink });
  const urlText = snapshot.verification_url;
  let urlSize = 8;
  while (urlSize > 5 && regular.widthOfTextAtSize(urlText, urlSize) > 300) urlSize -= 0.5;
  page.drawText(urlText, { x: width - 70 - regular.widthOfTextAtSize(urlText, urlSize), y: 62, size: urlSize, font: regular, color: muted });
  page.drawText(`Template ${snapshot.template.name} (${snapshot.template.version})`, { x: 70, y: 46, size: 6, font: regular, color: muted });

  return document.save({ useObjectStreams: false });
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
