import type { FastifyPluginAsync } from 'fastify';
import { registerResourceRoutes, type ResourceDeps } from '../../platform/shared/crud/crud.routes.js';
import { providersResource, providerLocationsResource, providerMembersResource } from './providers.resource.js';

export const providersRoutes: FastifyPluginAsync<ResourceDeps> = async (app, deps) => {
  registerResourceRoutes(app, providersResource, deps);
  registerResourceRoutes(app, providerLocationsResource, deps);
  registerResourceRoutes(app, providerMembersResource, deps);
};
