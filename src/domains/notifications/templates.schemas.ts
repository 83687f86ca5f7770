import Type from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';
import { type TemplateKind, templateKinds } from './templates.js';

const Kind = Type.Unsafe<TemplateKind>({ type: 'string', enum: [...templateKinds], description: 'what the template is for: the event that sends it' });
const Locale = Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$', description: "the language of the text, e.g. en, de, fr-CA; 'en' is what others fall back to" });

export const NotificationTemplateSchema = Type.Object({
  id: Uuid,
  kind: Kind,
  locale: Locale,
  provider_id: Type.Union([Uuid, Type.Null()], { description: "the provider whose sessions it is for (its override); null: everyone's (global)" }),
  subject: Type.String(),
  body: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
}, { title: 'NotificationTemplate' });

export const NotificationTemplateList = Type.Object({
  items: Type.Array(NotificationTemplateSchema),
  placeholders: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'the {{placeholders}} each kind fills in' }),
}, { title: 'NotificationTemplateList' });

export const PutNotificationTemplateBody = Type.Object(
  {
    kind: Kind,
    locale: Type.Optional(Locale),
    provider_id: Type.Optional(Nullable(Uuid)),
    subject: Type.String({ minLength: 1, maxLength: 300 }),
    body: Type.String({ minLength: 1, maxLength: 20_000 }),
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'the version you read of an existing template; a stale one is 409' })),
  },
  {
    title: 'PutNotificationTemplateBody',
    additionalProperties: false,
    examples: [{ kind: 'session.cancelled', locale: 'en', provider_id: null, subject: 'Cancelled: {{session_title}} on {{date}}', body: '"{{session_title}}" at {{place}} is cancelled. Reason: {{reason}}' }],
  },
);

export const TemplateIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
