export { createRealtime, type Realtime } from './realtime.js';
export { streamRoutes } from './stream.routes.js';
