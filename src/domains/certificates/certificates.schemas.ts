import Type from 'typebox';
import { Nullable, Text, Timestamp, Uuid, Version } from '../../platform/shared/crud/schema-types.js';

const CalendarDate = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
export const CertificateStatusSchema = Type.Union([Type.Literal('ACTIVE'), Type.Literal('SUSPENDED'), Type.Literal('EXPIRED'), Type.Literal('REVOKED')], {
  description: 'as of today: an ACTIVE certificate past its expiry date reads EXPIRED',
});
export const RevocationReasonSchema = Type.Union([
  Type.Literal('ISSUED_IN_ERROR'), Type.Literal('SUPERSEDED'), Type.Literal('MISCONDUCT'), Type.Literal('FRAUD'), Type.Literal('HOLDER_REQUEST'), Type.Literal('OTHER'),
]);

export const PrintedSchema = Type.Object(
  {
    recipient_name: Type.String(),
    course_name: Type.String(),
    course_code: Nullable(Type.String()),
    hours: Nullable(Type.Number()),
    completed_on: Nullable(CalendarDate),
    practical_score: Nullable(Type.Number()),
    written_score: Nullable(Type.Number()),
    instructor_name: Nullable(Type.String()),
    location_name: Nullable(Type.String()),
    location_place: Nullable(Type.String()),
    provider_name: Nullable(Type.String()),
  },
  { description: 'what the certificate prints, frozen when it was issued' },
);

export const CertificateSchema = Type.Object({
  id: Uuid,
  status: CertificateStatusSchema,
  recipient_name: Type.String(),
  course_name: Type.String(),
  printed: PrintedSchema,
  template: Type.Object({ id: Nullable(Uuid), name: Type.String(), version: Type.String() }),
  issue_date: CalendarDate,
  expiry_date: Nullable(CalendarDate),
  verification_code: Type.String(),
  verification_url: Type.String({ description: 'the public verification page; the PDF’s QR code carries it' }),
  pdf_url: Type.String(),
  credential_url: Type.String({ description: 'the certificate as a signed W3C Verifiable Credential (Open Badges 3.0)' }),
  pdf_sha256: Nullable(Type.String({ description: 'SHA-256 of the issued PDF (null for certificates issued before PDFs were hashed)' })),
  user_id: Nullable(Uuid),
  student_profile_id: Nullable(Uuid),
  enrollment_id: Nullable(Uuid),
  roster_member_id: Nullable(Uuid),
  roster_id: Nullable(Uuid),
  session_id: Nullable(Uuid),
  course_id: Uuid,
  location_id: Uuid,
  provider_id: Nullable(Uuid),
  issued_by: Nullable(Uuid),
  batch_id: Nullable(Uuid),
  replaces_certificate_id: Nullable(Uuid),
  revoked_at: Nullable(Timestamp),
  revoked_reason_code: Nullable(RevocationReasonSchema),
  revoked_reason: Nullable(Type.String()),
  suspended_at: Nullable(Timestamp),
  suspended_reason: Nullable(Type.String()),
  verification_count: Type.Integer(),
  last_verified_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
});

export const IssueCertificateBody = Type.Object(
  {
    enrollment_id: Type.Optional(Uuid),
    roster_member_id: Type.Optional(Uuid),
  },
  { additionalProperties: false, description: 'exactly one: the COMPLETED enrollment or the completed roster line to certify' },
);

export const CertificateListQuery = Type.Object(
  {
    status: Type.Optional(CertificateStatusSchema),
    course_id: Type.Optional(Uuid),
    session_id: Type.Optional(Uuid),
    roster_id: Type.Optional(Uuid),
    user_id: Type.Optional(Uuid),
    location_id: Type.Optional(Uuid),
    provider_id: Type.Optional(Uuid),
    batch_id: Type.Optional(Uuid),
    enrollment_id: Type.Optional(Uuid),
    roster_member_id: Type.Optional(Uuid),
    expiring_before: Type.Optional(Type.String({ format: 'date', description: 'only certificates whose expiry date is before this day' })),
    sort: Type.Optional(Type.Union([Type.Literal('created_at'), Type.Literal('issue_date')])),
    direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const CertificatePageSchema = Type.Object({ items: Type.Array(CertificateSchema), next_cursor: Nullable(Type.String()), total: Type.Integer() });

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

const version = Type.Optional(Version);

export const RevokeBody = Type.Object(
  { reason_code: RevocationReasonSchema, reason: Text(1000), version },
  { additionalProperties: false, description: 'why, as a code and in words (both printed on the verification page); the version you read or If-Match' },
);
export const SuspendBody = Type.Object({ reason: Text(1000), version }, { additionalProperties: false });
export const VersionBody = Type.Object({ version }, { additionalProperties: false, description: 'the version you read (or send If-Match instead)' });
export const ReissueBody = Type.Object({ reason: Type.Optional(Text(1000)), version }, { additionalProperties: false });

/** What anyone holding the code may learn: the printed facts and the state, never the holder's e-mail or the source rows. */
/** A timestamp already written as text: a cached verification is JSON (decision 0052). Documented like Timestamp. */
const TimestampText = Type.String({ format: 'date-time' });

export const VerificationSchema = Type.Object({
  verification_code: Type.String(),
  status: CertificateStatusSchema,
  printed: PrintedSchema,
  issue_date: CalendarDate,
  expiry_date: Nullable(CalendarDate),
  revoked_at: Nullable(TimestampText),
  revoked_reason_code: Nullable(RevocationReasonSchema),
  revoked_reason: Nullable(Type.String()),
  suspended_at: Nullable(TimestampText),
  suspended_reason: Nullable(Type.String()),
  pdf_sha256: Nullable(Type.String({ description: 'SHA-256 of the issued PDF: a PDF with other bytes is not the one issued' })),
  replaced_by_code: Nullable(Type.String({ description: 'the code of the certificate that replaced this one (reissue)' })),
  verification_count: Type.Integer(),
});

/** Any text: a code that cannot be one answers exactly like an unknown one (404), not 400. */
export const VerificationCodeParams = Type.Object({ code: Type.String() });
