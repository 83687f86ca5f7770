import type { FastifyPluginAsync } from 'fastify';
import { registerResourceRoutes, type ResourceDeps } from '../../platform/shared/crud/crud.routes.js';
import { teamsResource, teamMembersResource } from './teams.resource.js';

export const teamsRoutes: FastifyPluginAsync<ResourceDeps> = async (app, deps) => {
  registerResourceRoutes(app, teamsResource, deps);
  registerResourceRoutes(app, teamMembersResource, deps);
};
