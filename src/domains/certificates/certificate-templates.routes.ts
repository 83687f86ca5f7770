import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { expectedVersion, requiredVersion } from '../../platform/shared/crud/expected-version.js';
import { optionalBody, withEtag } from '../../platform/shared/crud/route-helpers.js';
import { Nullable, Uuid } from '../../platform/shared/crud/schema-types.js';
import {
  CertificateTemplateSchema,
  CertificateTemplateVersionSchema,
  CourseCertificateSettingsBody,
  CourseCertificateSettingsSchema,
  CreateTemplateBody,
  PatchTemplateBody,
  PublishBody,
  TemplateIdParams,
  TemplateVersionPage,
  TemplateVersionParams,
  VersionsQuery,
} from './certificate-templates.schemas.js';
import {
  createTemplate,
  listTemplates,
  previewTemplate,
  publishTemplate,
  readCourseCertificateSettings,
  readTemplate,
  saveCourseSettings,
  type TemplatesDeps,
  templateVersion,
  templateVersions,
  updateTemplate,
} from './certificate-templates.service.js';

const PdfBytes = Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' });
const TemplatePage = Type.Object({ items: Type.Array(CertificateTemplateSchema), next_cursor: Nullable(Type.String()), total: Type.Integer() });
const TemplateListQuery = Type.Object(
  {
    provider_id: Type.Optional(Uuid),
    status: Type.Optional(Type.Union([Type.Literal('ACTIVE'), Type.Literal('ARCHIVED')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/**
 * Certificate templates: a working copy edited freely, `publish` freezing it as an immutable version
 * that certificates pin; a preview of the working copy with sample facts; and the certificate settings of
 * a course. Row-level security decides who reads and writes which (decision 0033).
 */
export const certificateTemplatesRoutes: FastifyPluginAsyncTypebox<TemplatesDeps> = async (app, deps) => {
  const tags = ['certificates'];
  const one = { 200: CertificateTemplateSchema, ...errorResponses(400, 401, 403, 404, 409, 422) };

  app.post(
    '/v1/certificate-templates',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'createCertificateTemplate',
        summary: 'Create a template (a working copy); global for administrators, or a provider’s',
        description: '422 INVALID_TEMPLATE names the element (details.field) with an unknown placeholder, off the page, or an image that is not a PNG/JPEG of at most 256 KiB.',
        body: CreateTemplateBody,
        response: { 201: CertificateTemplateSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => reply.status(201).send(withEtag(reply, await createTemplate(deps, requireSignedIn(request), request.body))),
  );

  app.get(
    '/v1/certificate-templates',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'listCertificateTemplates', summary: 'The templates you may read, by name', querystring: TemplateListQuery, response: { 200: TemplatePage, ...errorResponses(400, 401) } },
    },
    async (request) => {
      const { limit = 50, cursor, ...filters } = request.query;
      return listTemplates(deps, requireSignedIn(request), { filters, limit, cursor });
    },
  );

  app.get(
    '/v1/certificate-templates/:id',
    { onRequest: signedInOnly, schema: { tags, security: signedInSecurity, operationId: 'readCertificateTemplate', summary: 'One template’s working copy', params: TemplateIdParams, response: { 200: CertificateTemplateSchema, ...errorResponses(400, 401, 404) } } },
    async (request, reply) => withEtag(reply, await readTemplate(deps, requireSignedIn(request), request.params.id)),
  );

  app.patch(
    '/v1/certificate-templates/:id',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'updateCertificateTemplate', summary: 'Edit the working copy (published versions never change)', params: TemplateIdParams, body: PatchTemplateBody, response: one },
    },
    async (request, reply) => {
      const { version, ...patch } = request.body;
      return withEtag(reply, await updateTemplate(deps, requireSignedIn(request), request.params.id, expectedVersion(request, version), patch));
    },
  );

  app.post(
    '/v1/certificate-templates/:id/publish',
    {
      onRequest: signedInOnly,
      preValidation: optionalBody,
      schema: {
        tags, security: signedInSecurity, operationId: 'publishCertificateTemplate',
        summary: 'Freeze the working copy as the next immutable version: certificates issued from now on print with it',
        params: TemplateIdParams, body: PublishBody, response: one,
      },
    },
    async (request, reply) =>
      withEtag(reply, await publishTemplate(deps, requireSignedIn(request), request.params.id, requiredVersion(request, request.body?.version))),
  );

  app.get(
    '/v1/certificate-templates/:id/preview',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'previewCertificateTemplate',
        summary: 'The working copy rendered as a PDF with sample facts',
        params: TemplateIdParams, response: { 200: PdfBytes, ...errorResponses(400, 401, 404, 422) },
      },
    },
    async (request, reply) => {
      const pdf = await previewTemplate(deps, requireSignedIn(request), request.params.id);
      return reply.header('content-type', 'application/pdf').header('cache-control', 'private, no-store')
        .header('content-disposition', 'inline; filename="template-preview.pdf"').send(Buffer.from(pdf));
    },
  );

  app.get(
    '/v1/certificate-templates/:id/versions',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'listCertificateTemplateVersions', summary: 'The published versions of a template, newest first', params: TemplateIdParams, querystring: VersionsQuery, response: { 200: TemplateVersionPage, ...errorResponses(400, 401, 404) } },
    },
    async (request) => templateVersions(deps, requireSignedIn(request), request.params.id, { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );

  app.get(
    '/v1/certificate-templates/:id/versions/:number',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'getCertificateTemplateVersion', summary: 'One published version of a template', params: TemplateVersionParams, response: { 200: CertificateTemplateVersionSchema, ...errorResponses(400, 401, 404) } },
    },
    async (request) => templateVersion(deps, requireSignedIn(request), request.params.id, request.params.number),
  );

  app.get(
    '/v1/courses/:id/certificate-settings',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'readCourseCertificateSettings', summary: 'How a course’s certificates are issued: template, automatic issue on completion', params: TemplateIdParams, response: { 200: CourseCertificateSettingsSchema, ...errorResponses(400, 401, 404) } },
    },
    async (request) => readCourseCertificateSettings(deps, requireSignedIn(request), request.params.id),
  );

  app.put(
    '/v1/courses/:id/certificate-settings',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'saveCourseCertificateSettings',
        summary: 'Set a course’s certificate template and whether completing an enrollment issues the certificate by itself (administrators)',
        description: 'The validity in months is the course’s certificate_validity_months (PATCH /v1/courses/{id}).',
        params: TemplateIdParams, body: CourseCertificateSettingsBody, response: { 200: CourseCertificateSettingsSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const { version, ...settings } = request.body;
      return saveCourseSettings(deps, requireSignedIn(request), request.params.id, settings, expectedVersion(request, version));
    },
  );
};
