-- 0040: undoes exactly what 0040_status_list_bits_at_commit.up.sql does, in reverse order.
DROP TRIGGER certificates_status_list_on_update ON certificates;
CREATE TRIGGER certificates_status_list_on_update AFTER UPDATE OF status ON certificates
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION certificates_publish_status();
