import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import { PDFDocument, type PDFFont, type PDFPage, rgb } from 'pdf-lib';
import QRCode from 'qrcode';
import { AppError } from '../../errors.js';
import { builtInLayout } from './built-in-template.js';
import type { CertificateSnapshot } from './certificate-snapshot.js';
import { filledText, imageKind, pageDimensions, type TemplateElement, type TemplateLayout } from './template-layout.js';

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

const hexColour = (hex: string | undefined, fallback: string) => {
  const value = Number.parseInt((hex ?? fallback).slice(1), 16);
  return rgb(((value >> 16) & 255) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255);
};
const ink = '#1f2938';

/** Draws a text element: shrunk until it fits `max_width`, placed by its alignment. */
function drawText(page: PDFPage, element: Extract<TemplateElement, { type: 'text' }>, text: string, font: PDFFont): void {
  let size = element.size;
  const widthAt = (at: number) => font.widthOfTextAtSize(text, at);
  if (element.max_width !== undefined) while (size > 4 && widthAt(size) > element.max_width) size -= 0.5;
  const width = widthAt(size);
  const x = element.align === 'center' ? element.x - width / 2 : element.align === 'right' ? element.x - width : element.x;
  page.drawText(text, { x, y: element.y, size, font, color: hexColour(element.color, ink) });
}

/**
 * The certificate's PDF, from its snapshot and the layout of the template version it pins: the same
 * snapshot and version give the same bytes (fixed metadata dates, named font subsets, pdf-lib's seeded
 * object names), so the SHA-256 stored at issue keeps matching. The QR code carries the verification URL.
 * Throws INVALID_TEMPLATE naming the element when an image of the layout cannot be decoded.
 */
export async function renderCertificatePdf(snapshot: CertificateSnapshot, layout: TemplateLayout = builtInLayout): Promise<Uint8Array> {
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

  const page = document.addPage(pageDimensions(layout.page));
  let qrPng: Buffer | undefined;
  for (const [index, element] of layout.elements.entries()) {
    switch (element.type) {
      case 'text': {
        const text = filledText(element.text, snapshot);
        if (text !== null) drawText(page, element, text, element.font === 'bold' ? bold : regular);
        break;
      }
      case 'line':
        page.drawLine({ start: { x: element.x1, y: element.y1 }, end: { x: element.x2, y: element.y2 }, thickness: element.thickness ?? 1, color: hexColour(element.color, ink) });
        break;
      case 'box': {
        const border = element.border_width ?? 1;
        page.drawRectangle({
          x: element.x, y: element.y, width: element.width, height: element.height,
          ...(border > 0 ? { borderWidth: border, borderColor: hexColour(element.border_color, ink) } : {}),
          ...(element.fill_color === undefined ? {} : { color: hexColour(element.fill_color, ink) }),
        });
        break;
      }
      case 'qr': {
        qrPng ??= await QRCode.toBuffer(snapshot.verification_url, { type: 'png', errorCorrectionLevel: 'M', margin: 1, scale: 6 });
        page.drawImage(await document.embedPng(qrPng), { x: element.x, y: element.y, width: element.size, height: element.size });
        break;
      }
      case 'image': {
        const bytes = Buffer.from(element.data, 'base64');
        let image;
        try {
          image = imageKind(bytes) === 'png' ? await document.embedPng(bytes) : await document.embedJpg(bytes);
        } catch {
          throw new AppError('INVALID_TEMPLATE', `elements[${index}]: the image cannot be decoded`, { field: `body.layout.elements[${index}].data` });
        }
        page.drawImage(image, { x: element.x, y: element.y, width: element.width, height: element.height });
        break;
      }
    }
  }
  return document.save({ useObjectStreams: false });
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
