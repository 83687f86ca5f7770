import type { FastifyPluginAsync } from 'fastify';
import { registerResourceRoutes, type ResourceDeps } from '../../platform/shared/crud/crud.routes.js';
import { instructorProfilesResource } from './instructors.resource.js';

export const instructorsRoutes: FastifyPluginAsync<ResourceDeps> = async (app, deps) => {
  registerResourceRoutes(app, instructorProfilesResource, deps);
};
