export { usersRoutes } from './users.routes.js';
export { createAccount, ensureInitialAdministrator, getUser, type NewAccount, type UsersDeps } from './users.service.js';
export { UserSchema } from './users.schemas.js';
