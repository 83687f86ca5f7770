import Type, { type Static } from 'typebox';
import { Nullable, Text, Timestamp, Uuid, Version } from '../../platform/shared/crud/schema-types.js';
import { TemplateLayoutSchema } from './template-layout.js';

/** A stored layout as read back: templates made before 0032 (the seed's) hold layouts of another shape, or none. */
const StoredLayout = Nullable(Type.Object({}, { additionalProperties: true, description: 'the layout (see TemplateLayout for what a new one must be)' }));

export const CertificateTemplateSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    provider_id: Nullable(Uuid),
    layout: StoredLayout,
    status: Type.Union([Type.Literal('ACTIVE'), Type.Literal('ARCHIVED')]),
    published_version: Nullable(Type.Integer({ description: 'the newest published version (null: never published)' })),
    published_at: Nullable(Timestamp),
    created_by: Nullable(Uuid),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: Type.Integer(),
  },
  { title: 'CertificateTemplate', description: 'the working copy of a template: edited freely; publishing freezes it as the next version' },
);

export type CertificateTemplate = Static<typeof CertificateTemplateSchema>;

export const templateFields = {
  name: Text(200),
  layout: TemplateLayoutSchema,
};
export const CreateTemplateBody = Type.Object(
  { ...templateFields, provider_id: Type.Optional(Nullable(Uuid)) },
  { additionalProperties: false, description: 'provider_id null or absent: a global template (administrators only)' },
);
export const PatchTemplateBody = Type.Partial(Type.Object({ ...templateFields, version: Version }), { additionalProperties: false });

export const CertificateTemplateVersionSchema = Type.Object(
  {
    id: Uuid,
    template_id: Uuid,
    version_number: Type.Integer(),
    name: Type.String(),
    layout: TemplateLayoutSchema,
    published_by: Nullable(Uuid),
    published_at: Timestamp,
  },
  { title: 'CertificateTemplateVersion', description: 'a published version: immutable; certificates pin the version they print with' },
);
export type CertificateTemplateVersion = Static<typeof CertificateTemplateVersionSchema>;

export const TemplateVersionPage = Type.Object({ items: Type.Array(CertificateTemplateVersionSchema), next_cursor: Nullable(Type.String()) });
export const TemplateVersionParams = Type.Object({ id: Uuid, number: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false });
export const TemplateIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const VersionsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), cursor: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
export const PublishBody = Type.Object({ version: Type.Optional(Version) }, { additionalProperties: false, description: 'the version of the working copy you read (or If-Match)' });

export const CourseCertificateSettingsSchema = Type.Object(
  {
    course_id: Uuid,
    template_id: Nullable(Uuid),
    issue_on_completion: Type.Boolean(),
    certificate_validity_months: Nullable(Type.Integer({ description: "the course's own field (PATCH /v1/courses/{id}), shown here for convenience" })),
    version: Nullable(Type.Integer({ description: 'null until settings were first saved' })),
  },
  { title: 'CourseCertificateSettings' },
);
export const CourseCertificateSettingsBody = Type.Object(
  {
    template_id: Nullable(Uuid),
    issue_on_completion: Type.Boolean({ description: 'issue the certificate by itself when an enrollment of the course is completed' }),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, description: 'template_id: a published template (null: the built-in layout)' },
);
