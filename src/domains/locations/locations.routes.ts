import type { FastifyPluginAsync } from 'fastify';
import { registerResourceRoutes, type ResourceDeps } from '../../platform/shared/crud/crud.routes.js';
import { locationsResource } from './locations.resource.js';
import { roomsResource } from './rooms.resource.js';

export const locationsRoutes: FastifyPluginAsync<ResourceDeps> = async (app, deps) => {
  registerResourceRoutes(app, locationsResource, deps);
  registerResourceRoutes(app, roomsResource, deps);
};
