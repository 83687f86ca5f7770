-- Decision 0102's guard undone: an account's id may change again.
DROP TRIGGER users_keep_id ON users;
DROP FUNCTION users_refuse_id_change();
