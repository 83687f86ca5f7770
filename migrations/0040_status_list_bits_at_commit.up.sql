-- 0040: a certificate's status-list bit is written when its transaction commits, not when its status
-- changes. Every revocation and suspension updates one shared list row; written mid-transaction, that
-- row lock was taken before the roster locks of the certificate-count trigger in one transaction and
-- after them in another, and concurrent revokers and movers deadlocked (rosters.concurrency.test.ts on
-- PostgreSQL). Deferred to commit, it is the last lock a transaction takes.
DROP TRIGGER certificates_status_list_on_update ON certificates;
CREATE CONSTRAINT TRIGGER certificates_status_list_on_update AFTER UPDATE OF status ON certificates
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION certificates_publish_status();
