import Type, { type Static } from 'typebox';
import { AppError } from '../../errors.js';
import { type CertificateSnapshot, printedDate, printedScore } from './certificate-snapshot.js';

/** Page sizes in PDF points (1/72 inch), portrait. */
export const pageSizes = { A4: [595.28, 841.89], Letter: [612, 792] } as const;

const Coordinate = Type.Number({ minimum: -10_000, maximum: 10_000, description: 'PDF points from the bottom-left corner of the page' });
const Length = Type.Number({ exclusiveMinimum: 0, maximum: 10_000 });
const Colour = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: '#rrggbb' });

const TextElement = Type.Object({
  type: Type.Literal('text'),
  text: Type.String({ minLength: 1, maxLength: 500, description: 'with {{placeholders}}; the element is left out when one of them has no value' }),
  x: Coordinate, y: Coordinate,
  size: Type.Number({ minimum: 4, maximum: 96 }),
  font: Type.Optional(Type.Union([Type.Literal('regular'), Type.Literal('bold')])),
  color: Type.Optional(Colour),
  align: Type.Optional(Type.Union([Type.Literal('left'), Type.Literal('center'), Type.Literal('right')], { description: 'x is the left edge, the centre or the right edge' })),
  max_width: Type.Optional(Length),
}, { additionalProperties: false });
const ImageElement = Type.Object({
  type: Type.Literal('image'),
  x: Coordinate, y: Coordinate, width: Length, height: Length,
  data: Type.String({ maxLength: 2_000_000, description: 'the PNG or JPEG file, base64 (at most 256 KiB decoded: a larger one is refused with 422 naming it)' }),
}, { additionalProperties: false });
const QrElement = Type.Object({
  type: Type.Literal('qr'), x: Coordinate, y: Coordinate, size: Length,
}, { additionalProperties: false, description: 'a QR code of the verification URL' });
const LineElement = Type.Object({
  type: Type.Literal('line'), x1: Coordinate, y1: Coordinate, x2: Coordinate, y2: Coordinate,
  thickness: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 50 })), color: Type.Optional(Colour),
}, { additionalProperties: false });
const BoxElement = Type.Object({
  type: Type.Literal('box'), x: Coordinate, y: Coordinate, width: Length, height: Length,
  border_color: Type.Optional(Colour), border_width: Type.Optional(Type.Number({ minimum: 0, maximum: 50 })), fill_color: Type.Optional(Colour),
}, { additionalProperties: false });

export const TemplateElementSchema = Type.Union([TextElement, ImageElement, QrElement, LineElement, BoxElement]);
export const TemplateLayoutSchema = Type.Object({
  page: Type.Object({
    size: Type.Union([Type.Literal('A4'), Type.Literal('Letter')]),
    orientation: Type.Union([Type.Literal('portrait'), Type.Literal('landscape')]),
  }, { additionalProperties: false }),
  elements: Type.Array(TemplateElementSchema, { maxItems: 100 }),
}, { additionalProperties: false, description: 'a page and the elements drawn on it, in order' });

export type TemplateLayout = Static<typeof TemplateLayoutSchema>;
export type TemplateElement = Static<typeof TemplateElementSchema>;

/** Every placeholder a text may use, and what it prints for a certificate (null: nothing to print). */
const placeholderValues = {
  recipient_name: (s) => s.printed.recipient_name,
  course_name: (s) => s.printed.course_name,
  course_code: (s) => s.printed.course_code,
  issue_date: (s) => printedDate(s.issue_date),
  expiry_date: (s) => (s.expiry_date === null ? null : printedDate(s.expiry_date)),
  validity: (s) => (s.expiry_date === null ? 'Does not expire' : `Valid until ${printedDate(s.expiry_date)}`),
  completed_on: (s) => (s.printed.completed_on === null ? null : printedDate(s.printed.completed_on)),
  instructor_name: (s) => s.printed.instructor_name,
  location_name: (s) => s.printed.location_name,
  location: (s) => [s.printed.location_name, s.printed.location_place].filter(Boolean).join(', ') || null,
  provider_name: (s) => s.printed.provider_name,
  practical_score: (s) => (s.printed.practical_score === null ? null : printedScore(s.printed.practical_score)),
  written_score: (s) => (s.printed.written_score === null ? null : printedScore(s.printed.written_score)),
  hours: (s) => (s.printed.hours === null ? null : printedScore(s.printed.hours)),
  verification_code: (s) => s.verification_code,
  verification_url: (s) => s.verification_url,
} satisfies Record<string, (snapshot: CertificateSnapshot) => string | null>;

export type Placeholder = keyof typeof placeholderValues;
export const placeholders = Object.keys(placeholderValues) as Placeholder[];
const placeholderPattern = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * The text an element prints for a certificate, or null when one of its placeholders has no value
 * (a line "Instructor: {{instructor_name}}" is left out rather than printed half-empty).
 */
export function filledText(text: string, snapshot: CertificateSnapshot): string | null {
  let missing = false;
  const filled = text.replace(placeholderPattern, (_match, name: string) => {
    const value = placeholderValues[name as Placeholder]?.(snapshot) ?? null;
    if (value === null || value === '') missing = true;
    return value ?? '';
  });
  return missing ? null : filled;
}

/** The page's width and height in points. */
export function pageDimensions(page: TemplateLayout['page']): [number, number] {
  const [short, long] = pageSizes[page.size];
  return page.orientation === 'portrait' ? [short, long] : [long, short];
}

export const maxImageBytes = 256 * 1024;

/** The kind of an image from its first bytes, or null when it is neither a PNG nor a JPEG. */
export function imageKind(bytes: Buffer): 'png' | 'jpeg' | null {
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

const invalid = (index: number, field: string, message: string) =>
  new AppError('INVALID_TEMPLATE', `elements[${index}]: ${message}`, { field: `body.layout.elements[${index}].${field}` });

/**
 * What the schema cannot say: every placeholder is known, every element lies on the page, every image
 * is a PNG or JPEG within the size limit. Throws 422 INVALID_TEMPLATE naming the element's field. An
 * image that decodes badly is caught when the preview or the publication renders it.
 */
export function checkLayout(layout: TemplateLayout): void {
  const [width, height] = pageDimensions(layout.page);
  const onPage = (x: number, y: number) => x >= 0 && y >= 0 && x <= width + 0.01 && y <= height + 0.01;
  layout.elements.forEach((element, index) => {
    switch (element.type) {
      case 'text': {
        for (const [, name] of element.text.matchAll(placeholderPattern)) {
          if (!(name! in placeholderValues)) throw invalid(index, 'text', `unknown placeholder {{${name}}}; known: ${placeholders.join(', ')}`);
        }
        if (!onPage(element.x, element.y)) throw invalid(index, 'x', `the text's anchor (${element.x}, ${element.y}) is off the ${width}×${height} page`);
        const reach = element.max_width ?? 0;
        const [left, right] = element.align === 'center' ? [element.x - reach / 2, element.x + reach / 2]
          : element.align === 'right' ? [element.x - reach, element.x] : [element.x, element.x + reach];
        if (!onPage(left, element.y) || !onPage(right, element.y)) throw invalid(index, 'max_width', 'the text may run off the page');
        break;
      }
      case 'line':
        if (!onPage(element.x1, element.y1) || !onPage(element.x2, element.y2)) throw invalid(index, 'x1', 'the line runs off the page');
        break;
      case 'qr':
        if (!onPage(element.x, element.y) || !onPage(element.x + element.size, element.y + element.size)) throw invalid(index, 'x', 'the QR code runs off the page');
        break;
      case 'box':
      case 'image': {
        if (!onPage(element.x, element.y) || !onPage(element.x + element.width, element.y + element.height)) throw invalid(index, 'x', `the ${element.type} runs off the page`);
        if (element.type === 'image') {
          const bytes = Buffer.from(element.data, 'base64');
          if (bytes.length > maxImageBytes) throw invalid(index, 'data', `the image is ${bytes.length} bytes; at most ${maxImageBytes}`);
          if (imageKind(bytes) === null) throw invalid(index, 'data', 'the image is neither a PNG nor a JPEG');
        }
        break;
      }
    }
  });
}
