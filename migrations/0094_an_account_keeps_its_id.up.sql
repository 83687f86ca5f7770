-- An account's id never changes (decision 0102). change_log names a changed users row by its id after the
-- change, and a caller's cached `/v1/me` is tagged by its own users row alone: an id that changed would
-- be logged under the new id only, and leave cached the answer of the id it had. Nothing in the
-- application changes one.
CREATE FUNCTION users_refuse_id_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'an account keeps its id' USING ERRCODE = 'UTTRN';
END;
$$;

CREATE TRIGGER users_keep_id BEFORE UPDATE OF id ON users
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION users_refuse_id_change();
