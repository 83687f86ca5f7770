import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import { LRUCache } from 'lru-cache';
import { concatTransformationMatrix, fill, PDFDocument, type PDFFont, type PDFPage, popGraphicsState, pushGraphicsState, rectangle, rgb, setFillingRgbColor } from 'pdf-lib';
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

interface LaidOutGlyph { id: number; codePoints: number[] }

/**
 * fontkit 2 for pdf-lib. pdf-lib was written against @pdf-lib/fontkit, whose subsetter drops glyphs of
 * Noto Sans (letters missing from the page); fontkit 2 subsets it correctly but encodes a subset in one
 * call where pdf-lib reads a stream, so this adapts that one method.
 *
 * Speed (decision 0048): a font is parsed once, and a text is laid out once (pdf-lib lays
 * a text out to measure it and again to write it, and uses only the glyphs, not the positions). Each
 * render still gets a view of the font with a glyph cache of its own: a glyph remembers the code points
 * it was first made for, pdf-lib writes the text layer from them, and a cache shared between renders made
 * a later PDF depend on earlier ones. A text's glyphs are found with an empty glyph cache, so they too
 * depend on nothing but the text.
 */
type FontView = fontkit.Font & { _glyphs: object };
const freshView = (font: fontkit.Font): FontView => Object.assign(Object.create(font) as fontkit.Font, { _glyphs: {} });
const encodedSubsets = new LRUCache<string, Uint8Array>({ max: 500 });
const compressedStreams = new LRUCache<string, Uint8Array>({ max: 500 });
const parsedFonts = new WeakMap<Uint8Array, { font: fontkit.Font; layouts: LRUCache<string, LaidOutGlyph[]>; layoutView: FontView }>();

const pdfLibFontkit = {
  create(bytes: Uint8Array) {
    let parsed = parsedFonts.get(bytes);
    if (parsed === undefined) {
      const font = fontkit.create(Buffer.from(bytes)) as fontkit.Font;
      parsed = { font, layouts: new LRUCache({ max: 10_000 }), layoutView: freshView(font) };
      parsedFonts.set(bytes, parsed);
    }
    const { font, layouts, layoutView } = parsed;
    const view = freshView(font);
    return Object.assign(view, {
      layout(text: string, features?: string[]) {
        const key = features === undefined ? text : `${features.join(',')}\u0000${text}`;
        let glyphs = layouts.get(key);
        if (glyphs === undefined) {
          // The layout view keeps its layout engine (costly to build) but starts each text with no glyphs.
          layoutView._glyphs = {};
          glyphs = layoutView.layout(text, features).glyphs.map((glyph) => ({ id: glyph.id, codePoints: glyph.codePoints }));
          layouts.set(key, glyphs);
        }
        return { glyphs: glyphs.map((glyph) => view.getGlyph(glyph.id, glyph.codePoints)) };
      },
      createSubset() {
        const subset = font.createSubset.call(view);
        const encode = () => {
          // Taken before encoding, which appends the parts of composite glyphs.
          const key = (subset as unknown as { glyphs: number[] }).glyphs.join(',');
          let encoded = encodedSubsets.get(key);
          if (encoded === undefined) {
            encoded = subset.encode();
            encodedSubsets.set(key, encoded);
          }
          return encoded;
        };
        return Object.assign(subset, {
          encodeStream: () => ({
            on(event: string, listener: (value?: unknown) => void) {
              if (event === 'data') listener(encode());
              if (event === 'end') listener();
              return this;
            },
          }),
        });
      },
    });
  },
};

/**
 * Every subset starts with these characters' glyphs, in this order (printable ASCII, Latin-1), so the
 * subsets of most certificates are the same glyphs in the same order: encoded and compressed once.
 * Latin Extended-A too (Ł, Ő, Š…): names of central Europe; a PDF is then about 40 kB.
 */
const commonCharacters = Array.from({ length: 0x17f - 0x20 + 1 }, (_, index) => String.fromCodePoint(0x20 + index))
  .filter((character) => character < '\u007f' || character > '\u009f')
  .join(' ');

/**
 * pdf-lib compresses each font subset as it embeds it; most certificates embed subsets already compressed
 * for an earlier one. Same bytes in, same bytes out: only large streams (fonts, images) are remembered.
 */
function compressingOnce(document: PDFDocument): void {
  const { context } = document;
  const flateStream = context.flateStream.bind(context);
  context.flateStream = (contents, dict = {}) => {
    if (!(contents instanceof Uint8Array) || contents.length < 4096) return flateStream(contents, dict);
    const key = createHash('sha256').update(contents).digest('base64');
    const known = compressedStreams.get(key);
    if (known !== undefined) return context.stream(known, { ...dict, Filter: 'FlateDecode' });
    const stream = flateStream(contents, dict);
    compressedStreams.set(key, stream.contents);
    return stream;
  };
}

const hexColour = (hex: string | undefined, fallback: string) => {
  const value = Number.parseInt((hex ?? fallback).slice(1), 16);
  return rgb(((value >> 16) & 255) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255);
};
const ink = '#1f2938';

/** Draws a text element: shrunk until it fits `max_width`, placed by its alignment. */
function drawText(page: PDFPage, element: Extract<TemplateElement, { type: 'text' }>, text: string, font: PDFFont): void {
  let size = element.size;
  // pdf-lib lays the text out anew for every width asked; the width at 1000 is the text's own units.
  const units = font.widthOfTextAtSize(text, 1000);
  const widthAt = (at: number) => units * (at / 1000);
  if (element.max_width !== undefined) while (size > 4 && widthAt(size) > element.max_width) size -= 0.5;
  const width = widthAt(size);
  const x = element.align === 'center' ? element.x - width / 2 : element.align === 'right' ? element.x - width : element.x;
  page.drawText(text, { x, y: element.y, size, font, color: hexColour(element.color, ink) });
}

/**
 * The QR code as filled rectangles, one per run of dark modules in a row, on a white square with a quiet
 * zone of one module: sharp at any zoom, and no image to encode and decode.
 */
function drawQrCode(page: PDFPage, text: string, at: { x: number; y: number; size: number }): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const count = modules.size;
  const module = at.size / (count + 2);
  page.drawRectangle({ x: at.x, y: at.y, width: at.size, height: at.size, color: rgb(1, 1, 1) });
  // In module units from the code's lower-left corner: whole numbers, short to write.
  const operators = [pushGraphicsState(), concatTransformationMatrix(module, 0, 0, module, at.x + module, at.y + module), setFillingRgbColor(0, 0, 0)];
  for (let row = 0; row < count; row += 1) {
    for (let column = 0; column < count; ) {
      if (!modules.get(row, column)) { column += 1; continue; }
      const start = column;
      while (column < count && modules.get(row, column)) column += 1;
      operators.push(rectangle(start, count - 1 - row, column - start, 1));
    }
  }
  page.pushOperators(...operators, fill(), popGraphicsState());
}

/** The first renderer's QR code, a PNG image: kept for the certificates issued with it (renderer 1). */
async function drawQrCodeImage(document: PDFDocument, page: PDFPage, text: string, at: { x: number; y: number; size: number }): Promise<void> {
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 1, scale: 6 });
  page.drawImage(await document.embedPng(png), { x: at.x, y: at.y, width: at.size, height: at.size });
}

/**
 * The certificate's PDF by renderer 1 or 2 (pdf-lib), for the certificates issued before decision 0061
 * (renderer 3, certificate-pdf-compiled.ts, draws those issued since; the loader picks by the snapshot).
 * From its snapshot and the layout of the template version it pins: the same
 * snapshot and version give the same bytes (fixed metadata dates, named font subsets, pdf-lib's seeded
 * object names), so the SHA-256 stored at issue keeps matching. The QR code carries the verification URL.
 * Throws INVALID_TEMPLATE naming the element when an image of the layout cannot be decoded.
 */
export async function renderPdfLibCertificatePdf(snapshot: CertificateSnapshot, layout: TemplateLayout = builtInLayout): Promise<Uint8Array> {
  const fonts = await loadFonts();
  const { printed } = snapshot;
  const document = await PDFDocument.create({ updateMetadata: false });
  document.registerFontkit(pdfLibFontkit as unknown as Parameters<typeof document.registerFontkit>[0]);
  const regular = await document.embedFont(fonts.regular, { subset: true, customName: 'NotoSans-Regular' });
  const bold = await document.embedFont(fonts.bold, { subset: true, customName: 'NotoSans-Bold' });
  compressingOnce(document);
  if (snapshot.renderer !== 1) {
    regular.encodeText(commonCharacters);
    bold.encodeText(commonCharacters);
  }
  const issued = new Date(`${snapshot.issue_date}T00:00:00Z`);
  document.setTitle(`Certificate: ${printed.course_name}, ${printed.recipient_name}`);
  document.setSubject(`Verification code ${snapshot.verification_code}`);
  document.setAuthor(printed.provider_name ?? 'Unitrain');
  document.setCreator('Unitrain');
  document.setProducer('Unitrain');
  document.setCreationDate(issued);
  document.setModificationDate(issued);

  const page = document.addPage(pageDimensions(layout.page));
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
      case 'qr':
        if (snapshot.renderer === 1) await drawQrCodeImage(document, page, snapshot.verification_url, element);
        else drawQrCode(page, snapshot.verification_url, element);
        break;
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
