import { AppError } from '../../errors.js';

/** What a template is for: the events that send it (migration 0045's notification_templates_kind_check). */
export const templateKinds = [
  'enrollment.enrolled', 'enrollment.waitlisted', 'enrollment.promoted', 'enrollment.offered',
  'session.reminder', 'session.changed', 'session.cancelled',
] as const;
export type TemplateKind = (typeof templateKinds)[number];

/** Every notification names the session, its times in the location's zone, and the place. */
const sessionPlaceholders = ['session_title', 'course_title', 'date', 'start_time', 'end_time', 'time_zone', 'location', 'room', 'address', 'place'] as const;

/** The placeholders each kind may use: the session's, and what its event adds. */
export const placeholdersOf: Record<TemplateKind, readonly string[]> = {
  'enrollment.enrolled': sessionPlaceholders,
  'enrollment.waitlisted': [...sessionPlaceholders, 'waitlist_position'],
  'enrollment.promoted': sessionPlaceholders,
  'enrollment.offered': [...sessionPlaceholders, 'offer_expires_at'],
  'session.reminder': sessionPlaceholders,
  'session.changed': [...sessionPlaceholders, 'previous_date', 'previous_start_time', 'previous_end_time', 'previous_time_zone', 'previous_place'],
  'session.cancelled': [...sessionPlaceholders, 'reason'],
};

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Refuses a text naming a placeholder its kind does not fill: 422 INVALID_TEMPLATE naming the field
 * and the placeholder (and what the kind offers), so a typo never reaches a trainee as "{{dat}}".
 */
export function checkTemplateText(kind: TemplateKind, field: 'subject' | 'body', text: string): void {
  const known = placeholdersOf[kind];
  for (const [, name = ''] of text.matchAll(placeholder)) {
    if (!known.includes(name)) {
      throw new AppError('INVALID_TEMPLATE', `unknown placeholder {{${name}}} in the ${field} of a ${kind} template`, {
        field: `body.${field}`, placeholder: name, known_placeholders: known,
      });
    }
  }
}

/** The text with each placeholder replaced by its value (every one is checked known when written). */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(placeholder, (whole, name: string) => values[name] ?? whole);
}
