import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { acceptsCsv, toCsv } from '../../platform/shared/csv/csv-writing.js';
import { reportColumns, type ReportName } from './reports.repository.js';
import { ReportParams, ReportQuery, ReportSchema } from './reports.schemas.js';
import { getReport, type ReportsDeps } from './reports.service.js';

export const reportsRoutes: FastifyPluginAsyncTypebox<ReportsDeps> = async (app, deps) => {
  app.get(
    '/v1/reports/:name',
    {
      onRequest: signedInOnly,
      schema: {
        tags: ['reports'],
        operationId: 'getReport',
        security: signedInSecurity,
        summary: 'A report by month (enrollments, instructors, certificates, session-fill), scoped to your role; CSV with Accept: text/csv',
        params: ReportParams,
        querystring: ReportQuery,
        produces: ['application/json', 'text/csv'],
        response: {
          200: {
            description: 'the report’s rows; as CSV, refreshed_at is the X-Report-Refreshed-At header',
            content: { 'application/json': { schema: ReportSchema }, 'text/csv': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const name = request.params.name as ReportName;
      const report = await getReport(deps, requireSignedIn(request), name, request.query);
      const refreshedAt = report.refreshed_at === null ? null : new Date(report.refreshed_at).toISOString();
      if (refreshedAt) reply.header('x-report-refreshed-at', refreshedAt);
      if (acceptsCsv(request.headers.accept)) {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}-report.csv"`)
          .send(toCsv(reportColumns(name), report.rows));
      }
      return reply.send({ ...report, refreshed_at: refreshedAt });
    },
  );
};
