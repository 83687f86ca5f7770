import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import { LRUCache } from 'lru-cache';
import QRCode from 'qrcode';
import { AppError } from '../../errors.js';
import { builtInLayout } from './built-in-template.js';
import type { CertificateSnapshot } from './certificate-snapshot.js';
import { filledText, imageKind, pageDimensions, type TemplateElement, type TemplateLayout } from './template-layout.js';

/**
 * Renderer 3 (decision 0061): a template version is compiled once — its fonts' common glyphs subset,
 * compressed and written as PDF objects, its images embedded, its fixed texts, lines and boxes written as
 * page operators — and a certificate writes only what it prints: its texts, its QR code, its title, and a
 * small font of the glyphs its texts need beyond the common ones. The PDF objects are written here, not
 * by pdf-lib. The bytes are a function of the snapshot and the layout alone: every cache is keyed by
 * what it holds, and deflate is pako's (pinned in package-lock), not the zlib of whatever Node runs.
 */

const require = createRequire(import.meta.url);
const { deflate } = require('pako') as { deflate: (data: Uint8Array, options?: { level: number; windowBits: number; memLevel: number }) => Uint8Array };
/**
 * The page's operators (a few kilobytes, mostly the QR code) are compressed for each certificate: the
 * fastest level in a small window costs a fifth of the default, for about a tenth more bytes.
 */
const contentDeflate = { level: 1, windowBits: 12, memLevel: 4 };

type Weight = 'regular' | 'bold';
const fontFiles: Record<Weight, string> = {
  regular: require.resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf'),
};
const postScriptNames: Record<Weight, string> = { regular: 'NotoSans-Regular', bold: 'NotoSans-Bold' };

interface GlyphRun { glyphs: fontkit.Glyph[]; positions: object[]; direction: string }
interface LaidOutGlyph { id: number; codePoints: number[] }
interface LaidOutText { glyphs: LaidOutGlyph[]; /** the width at size 1000 */ units: number }

/** A glyph set written as one PDF font: its subset's glyph ids and the objects that describe it. */
interface FontProgram {
  /** Original glyph id → the id in the subset (the code written in the text). */
  codes: Map<number, number>;
  /** Original glyph id → the code points the text layer gives it. */
  unicode: Map<number, number[]>;
  /** The Type0 font's objects from its first number on: Type0, CIDFont, descriptor, font file, ToUnicode. */
  objects: (first: number) => Buffer[];
}

interface Face {
  font: fontkit.Font;
  scale: number;
  /** A view of the font whose glyph cache is emptied before each text, so a text's glyphs depend on it alone. */
  layoutView: fontkit.Font & { _glyphs: object };
  layouts: LRUCache<string, LaidOutText>;
  advanceWidths: Map<number, number>;
  common: FontProgram;
}

/**
 * The characters every font's common part holds: printable ASCII, Latin-1 and Latin Extended-A (Ł, Ő,
 * Š…), as renderer 2's subsets began. Greek, Cyrillic and anything else go to a certificate's own small font.
 */
const commonCodePoints = Array.from({ length: 0x17f - 0x20 + 1 }, (_, index) => 0x20 + index).filter((code) => code < 0x7f || code > 0x9f);

const number = (value: number) => {
  const rounded = Math.round(value * 1000) / 1000;
  return Object.is(rounded, -0) ? '0' : String(rounded);
};
const hex4 = (value: number) => value.toString(16).padStart(4, '0');
const utf16Hex = (codePoints: number[]) => codePoints.map((code) => {
  if (code < 0x10000) return hex4(code);
  const offset = code - 0x10000;
  return hex4(0xd800 + (offset >> 10)) + hex4(0xdc00 + (offset & 0x3ff));
}).join('');
/** A text string of the document information: UTF-16BE with its byte order mark, in hex. */
const textString = (text: string) => `<FEFF${utf16Hex(Array.from(text, (character) => character.codePointAt(0)!))}>`;

const object = (objectNumber: number, body: string) => Buffer.from(`${objectNumber} 0 obj\n${body}\nendobj\n`, 'latin1');
const streamObject = (objectNumber: number, dictionary: string, contents: Uint8Array) => Buffer.concat([
  Buffer.from(`${objectNumber} 0 obj\n<< ${dictionary} /Length ${contents.length} >>\nstream\n`, 'latin1'),
  contents, Buffer.from('\nendstream\nendobj\n', 'latin1'),
]);

/** The ToUnicode CMap of a subset: each code to the code points of the glyph it stands for. */
function toUnicodeCMap(entries: [number, number[]][]): string {
  const blocks: string[] = [];
  for (let start = 0; start < entries.length; start += 100) {
    const block = entries.slice(start, start + 100);
    blocks.push(`${block.length} beginbfchar\n${block.map(([code, codePoints]) => `<${hex4(code)}> <${utf16Hex(codePoints)}>`).join('\n')}\nendbfchar`);
  }
  return ['/CIDInit /ProcSet findresource begin', '12 dict begin', 'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def', '/CMapName /Adobe-Identity-UCS def', '/CMapType 2 def',
    '1 begincodespacerange', '<0000> <ffff>', 'endcodespacerange', ...blocks,
    'endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end'].join('\n');
}

/**
 * A subset of `face` holding `glyphs` (original id → code points, in the order they get their codes),
 * encoded, compressed and described once; `objects` writes it under the numbers it is given.
 */
function fontProgram(font: fontkit.Font, scale: number, weight: Weight, glyphs: Map<number, number[]>): FontProgram {
  // fontkit's subset takes a glyph id and answers its id in the subset (its types say otherwise).
  const subset = font.createSubset() as unknown as { includeGlyph: (id: number) => number; encode: () => Uint8Array };
  const codes = new Map<number, number>();
  for (const id of glyphs.keys()) codes.set(id, subset.includeGlyph(id));
  const program = subset.encode();
  const file = deflate(program);
  // Codes run 1, 2, 3… in the glyphs' order; glyph 0 (a character the font lacks) keeps code 0.
  const byCode = [...codes].sort(([, a], [, b]) => a - b);
  const runs: string[] = [];
  byCode.forEach(([id, code], index) => {
    const width = number(font.getGlyph(id).advanceWidth * scale);
    if (index > 0 && byCode[index - 1]![1] === code - 1) runs[runs.length - 1] += ` ${width}`;
    else runs.push(`${code} [${width}`);
  });
  const widths = runs.map((run) => `${run}]`).join(' ');
  // Glyph 0 stands for any letter the font lacks: it reads as nothing rather than as the first of them.
  const toUnicode = deflate(Buffer.from(toUnicodeCMap(byCode.filter(([id]) => id !== 0).map(([id, code]) => [code, glyphs.get(id)!])), 'latin1'));
  // The subset's tag (six capitals) comes from its glyphs, so the same glyphs are always the same name.
  const digest = createHash('sha256').update(`${weight}:${[...glyphs.keys()].join(',')}`).digest();
  const tag = Array.from(digest.subarray(0, 6), (byte) => String.fromCharCode(65 + (byte % 26))).join('');
  const name = `${tag}+${postScriptNames[weight]}`;
  const unitsPerEm = font.unitsPerEm;
  const bbox = font.bbox;
  const descriptor = [
    '/Type /FontDescriptor', `/FontName /${name}`, '/Flags 4',
    `/FontBBox [${[bbox.minX, bbox.minY, bbox.maxX, bbox.maxY].map((value) => number((value * 1000) / unitsPerEm)).join(' ')}]`,
    `/ItalicAngle ${number(font.italicAngle)}`, `/Ascent ${number((font.ascent * 1000) / unitsPerEm)}`,
    `/Descent ${number((font.descent * 1000) / unitsPerEm)}`, `/CapHeight ${number(((font.capHeight || font.ascent) * 1000) / unitsPerEm)}`,
    `/XHeight ${number(((font.xHeight || 0) * 1000) / unitsPerEm)}`, '/StemV 0',
  ].join(' ');
  return {
    codes,
    unicode: glyphs,
    objects: (at) => [
      object(at, `<< /Type /Font /Subtype /Type0 /BaseFont /${name} /Encoding /Identity-H /DescendantFonts [${at + 1} 0 R] /ToUnicode ${at + 4} 0 R >>`),
      object(at + 1, `<< /Type /Font /Subtype /CIDFontType2 /BaseFont /${name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor ${at + 2} 0 R /CIDToGIDMap /Identity /W [${widths}] >>`),
      object(at + 2, `<< ${descriptor} /FontFile2 ${at + 3} 0 R >>`),
      streamObject(at + 3, `/Filter /FlateDecode /Length1 ${program.length}`, file),
      streamObject(at + 4, '/Filter /FlateDecode', toUnicode),
    ],
  };
}

const faces = new Map<Weight, Face>();
function face(weight: Weight): Face {
  let loaded = faces.get(weight);
  if (loaded === undefined) {
    const font = fontkit.create(readFileSync(fontFiles[weight])) as fontkit.Font;
    const scale = 1000 / font.unitsPerEm;
    const common = new Map<number, number[]>();
    for (const code of commonCodePoints) {
      const { id } = font.glyphForCodePoint(code);
      if (id !== 0 && !common.has(id)) common.set(id, [code]);
    }
    const layoutView = Object.assign(Object.create(font) as fontkit.Font, { _glyphs: {} });
    // Only the glyphs are drawn, at their advance widths (as renderer 2 drew them): the layout substitutes
    // (GSUB: ligatures, composition) and skips positioning (GPOS, kerning), most of its time.
    const engine = (layoutView as unknown as { _layoutEngine: { position: (run: GlyphRun) => void } })._layoutEngine;
    engine.position = (run) => {
      run.positions = run.glyphs.map(() => ({ xAdvance: 0, yAdvance: 0, xOffset: 0, yOffset: 0 }));
      if (run.direction === 'rtl') run.glyphs.reverse();
    };
    loaded = { font, scale, layoutView, layouts: new LRUCache({ max: 10_000 }), advanceWidths: new Map(), common: fontProgram(font, scale, weight, common) };
    faces.set(weight, loaded);
  }
  return loaded;
}

/** A text's glyphs as fontkit lays it out (substitutions, no positioning: renderer 2 drew the same), once per text. */
function layOut(of: Face, text: string): LaidOutText {
  let laidOut = of.layouts.get(text);
  if (laidOut === undefined) {
    of.layoutView._glyphs = {};
    const glyphs = of.layoutView.layout(text).glyphs;
    let total = 0;
    for (const glyph of glyphs) total += advanceWidth(of, glyph.id) * of.scale;
    laidOut = { glyphs: glyphs.map((glyph) => ({ id: glyph.id, codePoints: [...glyph.codePoints] })), units: total };
    of.layouts.set(text, laidOut);
  }
  return laidOut;
}

/** A glyph's advance width (fontkit decodes the glyph's outline for it each time a glyph object is new). */
function advanceWidth(of: Face, id: number): number {
  let width = of.advanceWidths.get(id);
  if (width === undefined) {
    width = of.font.getGlyph(id).advanceWidth;
    of.advanceWidths.set(id, width);
  }
  return width;
}

/** Whether the font's common part can write the text and give back its characters. */
const inCommon = (of: Face, laidOut: LaidOutText) => laidOut.glyphs.every((glyph) => {
  const codePoints = of.common.unicode.get(glyph.id);
  return codePoints !== undefined && codePoints.length === glyph.codePoints.length && codePoints.every((code, index) => code === glyph.codePoints[index]);
});

const colour = (hex: string | undefined) => {
  const value = Number.parseInt((hex ?? '#1f2938').slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255].map((part) => number(part / 255)).join(' ');
};

/** Whether a text prints something of the certificate (else it is the same on every certificate). */
const hasPlaceholder = (text: string) => /\{\{\s*[^{}]*?\s*\}\}/.test(text);

type TextElement = Extract<TemplateElement, { type: 'text' }>;

/** The operators of a text: shrunk until it fits `max_width` (by half points, as renderer 2), placed by its alignment. */
function textOperators(element: TextElement, laidOut: LaidOutText, font: string, codes: Map<number, number>): string {
  let size = element.size;
  const widthAt = (at: number) => laidOut.units * (at / 1000);
  if (element.max_width !== undefined) while (size > 4 && widthAt(size) > element.max_width) size -= 0.5;
  const width = widthAt(size);
  const x = element.align === 'center' ? element.x - width / 2 : element.align === 'right' ? element.x - width : element.x;
  let glyphs = '';
  for (const glyph of laidOut.glyphs) glyphs += hex4(codes.get(glyph.id)!);
  return `q BT /${font} ${number(size)} Tf ${colour(element.color)} rg ${number(x)} ${number(element.y)} Td <${glyphs}> Tj ET Q\n`;
}

/**
 * The QR code of the verification URL as filled rectangles, one per run of dark modules in a row, on a
 * white square with a quiet zone of one module, in module units: sharp at any zoom, short to write.
 */
function qrOperators(text: string, at: { x: number; y: number; size: number }): string {
  // One byte-mode segment: the search for the shortest mix of modes (a graph per code) cost more than it saved.
  const { modules } = QRCode.create([{ data: Buffer.from(text), mode: 'byte' }], { errorCorrectionLevel: 'M' });
  const count = modules.size;
  const { data } = modules;
  const module = at.size / (count + 2);
  const parts = [`q 1 1 1 rg ${number(at.x)} ${number(at.y)} ${number(at.size)} ${number(at.size)} re f Q\n`,
    `q ${number(module)} 0 0 ${number(module)} ${number(at.x + module)} ${number(at.y + module)} cm 0 0 0 rg\n`];
  for (let row = 0; row < count; row += 1) {
    const offset = row * count;
    const y = count - 1 - row;
    for (let column = 0; column < count;) {
      if (!data[offset + column]) { column += 1; continue; }
      const start = column;
      while (column < count && data[offset + column]) column += 1;
      parts.push(`${start} ${y} ${column - start} 1 re\n`);
    }
  }
  parts.push('f Q\n');
  return parts.join('');
}

type Segment =
  | { kind: 'fixed'; operators: string }
  | { kind: 'text'; element: TextElement; weight: Weight }
  | { kind: 'qr'; at: { x: number; y: number; size: number } };

interface CompiledTemplate {
  /** The page size as written in the MediaBox. */
  mediaBox: string;
  weights: Weight[];
  /** The page's resources other than the certificate's own fonts. */
  resources: { fonts: string; images: string };
  segments: Segment[];
  /** Objects 1, 2 and those of the fonts' common parts and images, from offset 0 of the file. */
  head: Buffer;
  /** Object number → its offset in `head`. */
  offsets: Map<number, number>;
  /** The first number the certificate's own objects take. */
  next: number;
}

const header = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
// Objects 1 to 4 are the catalog, the page tree, the page and the document information.
const pageNumber = 3;
const infoNumber = 4;
const contentsNumber = 5;
const firstTemplateNumber = 6;
const fontName: Record<Weight, string> = { regular: 'R', bold: 'B' };
const ownFontName: Record<Weight, string> = { regular: 'RX', bold: 'BX' };

async function compile(layout: TemplateLayout): Promise<CompiledTemplate> {
  const [width, height] = pageDimensions(layout.page);
  const weights: Weight[] = [];
  const segments: Segment[] = [];
  const fixed = (operators: string) => {
    const last = segments.at(-1);
    if (last?.kind === 'fixed') last.operators += operators;
    else segments.push({ kind: 'fixed', operators });
  };
  const images: { name: string; bytes: Buffer; kind: 'png' | 'jpeg'; index: number }[] = [];
  for (const [index, element] of layout.elements.entries()) {
    switch (element.type) {
      case 'text': {
        const weight: Weight = element.font === 'bold' ? 'bold' : 'regular';
        if (!weights.includes(weight)) weights.push(weight);
        // A text without placeholders whose glyphs are all common is written once, here.
        const laidOut = hasPlaceholder(element.text) ? null : layOut(face(weight), element.text);
        if (laidOut !== null && inCommon(face(weight), laidOut)) fixed(textOperators(element, laidOut, fontName[weight], face(weight).common.codes));
        else segments.push({ kind: 'text', element, weight });
        break;
      }
      case 'line':
        fixed(`q ${colour(element.color)} RG ${number(element.thickness ?? 1)} w ${number(element.x1)} ${number(element.y1)} m ${number(element.x2)} ${number(element.y2)} l S Q\n`);
        break;
      case 'box': {
        const border = element.border_width ?? 1;
        const stroke = border > 0 ? `${colour(element.border_color)} RG ${number(border)} w ` : '';
        // As pdf-lib drew it: a box with neither border nor fill is filled black.
        const fill = element.fill_color !== undefined ? `${colour(element.fill_color)} rg ` : border > 0 ? '' : '0 0 0 rg ';
        const paint = fill === '' ? 'S' : stroke === '' ? 'f' : 'B';
        fixed(`q ${fill}${stroke}${number(element.x)} ${number(element.y)} ${number(element.width)} ${number(element.height)} re ${paint} Q\n`);
        break;
      }
      case 'qr':
        segments.push({ kind: 'qr', at: element });
        break;
      case 'image': {
        const bytes = Buffer.from(element.data, 'base64');
        const name = `I${images.length}`;
        images.push({ name, bytes, kind: imageKind(bytes) === 'png' ? 'png' : 'jpeg', index });
        fixed(`q ${number(element.width)} 0 0 ${number(element.height)} ${number(element.x)} ${number(element.y)} cm /${name} Do Q\n`);
        break;
      }
    }
  }

  const parts: Buffer[] = [header];
  const offsets = new Map<number, number>();
  let length = header.length;
  const append = (objectNumber: number, bytes: Buffer) => {
    offsets.set(objectNumber, length);
    parts.push(bytes);
    length += bytes.length;
  };
  append(1, object(1, '<< /Type /Catalog /Pages 2 0 R >>'));
  append(2, object(2, `<< /Type /Pages /Kids [${pageNumber} 0 R] /Count 1 >>`));
  let next = firstTemplateNumber;
  const fonts: string[] = [];
  for (const weight of weights) {
    fonts.push(`/${fontName[weight]} ${next} 0 R`);
    for (const bytes of face(weight).common.objects(next)) append(next++, bytes);
  }
  const imageResources: string[] = [];
  if (images.length > 0) {
    // Images are decoded and embedded by pdf-lib's embedders, once per template version.
    const { JpegEmbedder, PngEmbedder, PDFContext } = await import('pdf-lib');
    const context = PDFContext.create();
    for (const image of images) {
      let embedder;
      try {
        embedder = image.kind === 'png' ? await PngEmbedder.for(image.bytes) : await JpegEmbedder.for(image.bytes);
      } catch {
        throw new AppError('INVALID_TEMPLATE', `elements[${image.index}]: the image cannot be decoded`, { field: `body.layout.elements[${image.index}].data` });
      }
      context.largestObjectNumber = next - 1;
      const ref = await embedder.embedIntoContext(context);
      imageResources.push(`/${image.name} ${ref.objectNumber} 0 R`);
      next = context.largestObjectNumber + 1;
    }
    const embedded = context.enumerateIndirectObjects().sort(([a], [b]) => a.objectNumber - b.objectNumber);
    for (const [ref, value] of embedded) {
      const bytes = new Uint8Array(value.sizeInBytes());
      value.copyBytesInto(bytes, 0);
      append(ref.objectNumber, Buffer.concat([Buffer.from(`${ref.objectNumber} 0 obj\n`, 'latin1'), bytes, Buffer.from('\nendobj\n', 'latin1')]));
    }
  }
  return {
    mediaBox: `[0 0 ${number(width)} ${number(height)}]`,
    weights,
    resources: { fonts: fonts.join(' '), images: imageResources.join(' ') },
    segments,
    head: Buffer.concat(parts),
    offsets,
    next,
  };
}

/** Compiled once per template version: by the layout object the version cache holds, else by its content. */
const compiledByLayout = new WeakMap<TemplateLayout, Promise<CompiledTemplate>>();
const compiledByContent = new LRUCache<string, Promise<CompiledTemplate>>({ max: 50 });
function compiled(layout: TemplateLayout): Promise<CompiledTemplate> {
  let found = compiledByLayout.get(layout);
  if (found === undefined) {
    const key = createHash('sha256').update(JSON.stringify(layout)).digest('base64');
    found = compiledByContent.get(key);
    if (found === undefined) {
      found = compile(layout);
      compiledByContent.set(key, found);
    }
    compiledByLayout.set(layout, found);
    // A layout that does not compile is not kept: the next render reports it again.
    found.catch(() => {
      compiledByContent.delete(key);
      compiledByLayout.delete(layout);
    });
  }
  return found;
}

/** The fonts a certificate needs beyond the common parts: one per weight, of the glyphs of its texts that need it. */
const ownFonts = new LRUCache<string, FontProgram>({ max: 500 });
function ownFont(weight: Weight, glyphs: Map<number, number[]>): FontProgram {
  const key = `${weight}:${[...glyphs].map(([id, codePoints]) => `${id}=${codePoints.join('.')}`).join(',')}`;
  let program = ownFonts.get(key);
  if (program === undefined) {
    const of = face(weight);
    program = fontProgram(of.font, of.scale, weight, glyphs);
    ownFonts.set(key, program);
  }
  return program;
}

const pdfDate = (isoDate: string) => `D:${isoDate.slice(0, 10).replaceAll('-', '')}000000Z`;

/**
 * The certificate's PDF by renderer 3: the same snapshot and layout give the same bytes. Throws
 * INVALID_TEMPLATE naming the element when an image of the layout cannot be decoded.
 */
export async function renderCompiledCertificatePdf(snapshot: CertificateSnapshot, layout: TemplateLayout = builtInLayout): Promise<Uint8Array> {
  const template = await compiled(layout);
  const { printed } = snapshot;

  // First the texts: which need a certificate's own font, and its glyphs in the order they appear.
  const texts = new Map<Segment, { laidOut: LaidOutText; own: boolean }>();
  const ownGlyphs: Partial<Record<Weight, Map<number, number[]>>> = {};
  for (const segment of template.segments) {
    if (segment.kind !== 'text') continue;
    const text = filledText(segment.element.text, snapshot);
    if (text === null) continue;
    const of = face(segment.weight);
    const laidOut = layOut(of, text);
    const own = !inCommon(of, laidOut);
    if (own) {
      const glyphs = (ownGlyphs[segment.weight] ??= new Map());
      for (const glyph of laidOut.glyphs) if (!glyphs.has(glyph.id)) glyphs.set(glyph.id, glyph.codePoints);
    }
    texts.set(segment, { laidOut, own });
  }
  const own: Partial<Record<Weight, FontProgram>> = {};
  for (const weight of template.weights) {
    const glyphs = ownGlyphs[weight];
    if (glyphs !== undefined) own[weight] = ownFont(weight, glyphs);
  }

  let content = '';
  for (const segment of template.segments) {
    if (segment.kind === 'fixed') content += segment.operators;
    else if (segment.kind === 'qr') content += qrOperators(snapshot.verification_url, segment.at);
    else {
      const text = texts.get(segment);
      if (text === undefined) continue;
      const program = text.own ? own[segment.weight]! : face(segment.weight).common;
      content += textOperators(segment.element, text.laidOut, text.own ? ownFontName[segment.weight] : fontName[segment.weight], program.codes);
    }
  }

  const parts: Buffer[] = [template.head];
  const offsets = new Map(template.offsets);
  let length = template.head.length;
  const append = (objectNumber: number, bytes: Buffer) => {
    offsets.set(objectNumber, length);
    parts.push(bytes);
    length += bytes.length;
  };
  let next = template.next;
  const fonts = [template.resources.fonts];
  for (const weight of template.weights) {
    const program = own[weight];
    if (program === undefined) continue;
    fonts.push(`/${ownFontName[weight]} ${next} 0 R`);
    for (const bytes of program.objects(next)) append(next++, bytes);
  }
  const resources = `/Font << ${fonts.join(' ')} >>${template.resources.images === '' ? '' : ` /XObject << ${template.resources.images} >>`}`;
  append(pageNumber, object(pageNumber, `<< /Type /Page /Parent 2 0 R /MediaBox ${template.mediaBox} /Resources << ${resources} >> /Contents ${contentsNumber} 0 R >>`));
  append(contentsNumber, streamObject(contentsNumber, '/Filter /FlateDecode', deflate(Buffer.from(content, 'latin1'), contentDeflate)));
  const issued = pdfDate(snapshot.issue_date);
  append(infoNumber, object(infoNumber, [
    `<< /Title ${textString(`Certificate: ${printed.course_name}, ${printed.recipient_name}`)}`,
    `/Subject ${textString(`Verification code ${snapshot.verification_code}`)}`,
    `/Author ${textString(printed.provider_name ?? 'Unitrain')}`, '/Creator (Unitrain) /Producer (Unitrain)',
    `/CreationDate (${issued}) /ModDate (${issued}) >>`,
  ].join(' ')));

  const size = next;
  let xref = `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let objectNumber = 1; objectNumber < size; objectNumber += 1) xref += `${String(offsets.get(objectNumber)!).padStart(10, '0')} 00000 n \n`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${size} /Root 1 0 R /Info ${infoNumber} 0 R >>\nstartxref\n${length}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}
