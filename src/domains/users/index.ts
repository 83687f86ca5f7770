export { usersRoutes } from './users.routes.js';
export {
  createAccount, createGetMe, ensureInitialAdministrator, getUser, insertAccount, type NewAccount, type User, type UsersDeps,
} from './users.service.js';
export { emailHasAccount, meTables } from './users.repository.js';
export { UserSchema } from './users.schemas.js';
