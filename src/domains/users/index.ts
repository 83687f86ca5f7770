export { usersRoutes } from './users.routes.js';
export {
  createAccount, ensureInitialAdministrator, getUser, insertAccount, type NewAccount, type User, type UsersDeps,
} from './users.service.js';
export { emailHasAccount } from './users.repository.js';
export { UserSchema } from './users.schemas.js';
