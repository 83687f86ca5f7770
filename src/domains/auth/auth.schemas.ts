import Type from 'typebox';
import { roles } from '../../platform/db/actor.js';
import { maximumPasswordLength } from '../../platform/security/passwords.js';

// No minimum length on a sign-in password: a short one is simply wrong, and says so like any other.
export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: maximumPasswordLength }),
  },
  { title: 'LoginBody', additionalProperties: false, examples: [{ email: 'admin@example.com', password: 'correct horse battery staple' }] },
);

const RefreshToken = Type.String({ minLength: 1, maxLength: 256 });

export const RefreshBody = Type.Object({ refresh_token: RefreshToken }, { title: 'RefreshBody', additionalProperties: false });

export const LogoutBody = Type.Object(
  { refresh_token: Type.Optional(RefreshToken) },
  { title: 'LogoutBody', additionalProperties: false, description: 'with a refresh token: sign out of that sign-in; without: of all of them' },
);

export const TokenPairSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds the access token stays valid' }),
  refresh_token: Type.String({ description: 'single use: each refresh returns a new one' }),
  user: Type.Object({ id: Type.String({ format: 'uuid' }), role: Type.Enum([...roles]), email: Type.String() }),
}, {
  title: 'TokenPair',
  examples: [{
    access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI…',
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: 'k7Qw…',
    user: { id: 'a99227e7-19be-4a0a-a436-d998ad762313', role: 'SA', email: 'admin@example.com' },
  }],
});

export const ChangePasswordBody = Type.Object(
  {
    current_password: Type.String({ minLength: 1, maxLength: maximumPasswordLength }),
    new_password: Type.String({ minLength: 1, maxLength: maximumPasswordLength, description: 'at least 12 characters' }),
  },
  { title: 'ChangePasswordBody', additionalProperties: false },
);
