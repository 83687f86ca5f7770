-- Signed credentials (issue 13, item 6): every certificate gets a place in the issuer's W3C Bitstring
-- Status Lists, and the lists' bits follow the certificates' statuses in the writing transaction.
-- Definitions and reasons: docs/decisions/0035-signed-credentials.md.

-- A certificate's index in the status lists: list number = index / 131072, bit = index % 131072 (a list
-- holds 131,072 entries, the specification's minimum size, so that one holder's bit hides in a crowd).
-- The same index in the revocation list and in the suspension list. Assigned at insert (trigger below),
-- never changed. A table of its own rather than a column of certificates: the certificates_visible view
-- lists every column of certificates, and the index is nobody's to read but the credential publisher's.
CREATE SEQUENCE certificate_status_list_index_seq AS bigint MINVALUE 0 START WITH 0;
CREATE TABLE certificate_status_entries (
  certificate_id    uuid PRIMARY KEY REFERENCES certificates (id) ON DELETE RESTRICT,
  status_list_index bigint NOT NULL DEFAULT nextval('certificate_status_list_index_seq'),
  CONSTRAINT certificate_status_entries_status_list_index_key UNIQUE (status_list_index),
  CONSTRAINT certificate_status_entries_status_list_index_check CHECK (status_list_index >= 0)
);
ALTER SEQUENCE certificate_status_list_index_seq OWNED BY certificate_status_entries.status_list_index;
ALTER TABLE certificate_status_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_status_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_status_entries_owner_all ON certificate_status_entries TO CURRENT_USER USING (true) WITH CHECK (true);

-- The published bits: one row per purpose and list, 16,384 bytes, bit 0 the left-most bit of the first
-- byte (the specification's order). 1 = revoked, or suspended now. The owner's alone: the application
-- reads it through the owner connection to publish it (it is public), and only the trigger below writes it.
CREATE TABLE certificate_status_lists (
  purpose     text NOT NULL,
  list_number integer NOT NULL,
  bits        bytea NOT NULL,
  -- When a bit last changed (or the list began): the status list credential's validFrom, so the same
  -- list signs to the same bytes until it changes (an ETag that holds).
  changed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (purpose, list_number),
  CONSTRAINT certificate_status_lists_purpose_check CHECK (purpose IN ('revocation', 'suspension')),
  CONSTRAINT certificate_status_lists_list_number_check CHECK (list_number >= 0),
  CONSTRAINT certificate_status_lists_bits_check CHECK (length(bits) = 16384)
);
ALTER TABLE certificate_status_lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_status_lists FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_status_lists_owner_all ON certificate_status_lists TO CURRENT_USER USING (true) WITH CHECK (true);

-- Sets or clears one certificate's bit in one purpose's list, making the list if it is the first of its
-- number. A bit already as asked changes nothing (changed_at stays).
CREATE FUNCTION app_set_status_bit(list_purpose text, entry bigint, flag boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  list_no integer := (entry / 131072)::integer;
  bit_no integer := (entry % 131072)::integer;
  -- PostgreSQL numbers a byte's bits from its least significant one; the specification from the left.
  pg_bit integer := (bit_no / 8) * 8 + 7 - bit_no % 8;
BEGIN
  INSERT INTO certificate_status_lists (purpose, list_number, bits)
  VALUES (list_purpose, list_no, decode(repeat('00', 16384), 'hex'))
  ON CONFLICT DO NOTHING;
  UPDATE certificate_status_lists
     SET bits = set_bit(bits, pg_bit, flag::integer), changed_at = now()
   WHERE purpose = list_purpose AND list_number = list_no AND get_bit(bits, pg_bit) <> flag::integer;
END;
$$;
REVOKE EXECUTE ON FUNCTION app_set_status_bit(text, bigint, boolean) FROM PUBLIC;

-- Every certificate gets its index when it is inserted, one statement per insert statement (a batch of
-- thousands pays once); one inserted already withdrawn (imports, the seed) has its bits set at once.
CREATE FUNCTION certificates_enter_status_lists() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO certificate_status_entries (certificate_id) SELECT i.id FROM inserted i ORDER BY i.created_at, i.id;
  PERFORM app_set_status_bit(p.purpose, e.status_list_index, true)
     FROM inserted i
     JOIN certificate_status_entries e ON e.certificate_id = i.id
     JOIN (VALUES ('revocation', 'REVOKED'), ('suspension', 'SUSPENDED')) AS p (purpose, status) ON p.status = i.status;
  RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION certificates_enter_status_lists() FROM PUBLIC;
CREATE TRIGGER certificates_status_list_on_insert AFTER INSERT ON certificates
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION certificates_enter_status_lists();

-- A status change publishes itself: REVOKED sets the revocation bit (for good: a revoked certificate
-- never leaves REVOKED), SUSPENDED sets the suspension bit and leaving it clears the bit.
CREATE FUNCTION certificates_publish_status() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  entry bigint;
BEGIN
  SELECT e.status_list_index INTO entry FROM certificate_status_entries e WHERE e.certificate_id = NEW.id;
  IF (NEW.status = 'REVOKED') <> (OLD.status = 'REVOKED') THEN
    PERFORM app_set_status_bit('revocation', entry, NEW.status = 'REVOKED');
  END IF;
  IF (NEW.status = 'SUSPENDED') <> (OLD.status = 'SUSPENDED') THEN
    PERFORM app_set_status_bit('suspension', entry, NEW.status = 'SUSPENDED');
  END IF;
  RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION certificates_publish_status() FROM PUBLIC;
CREATE TRIGGER certificates_status_list_on_update AFTER UPDATE OF status ON certificates
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION certificates_publish_status();

-- The certificates that exist: an index each (in issue order), the first lists, and the bits of those withdrawn.
INSERT INTO certificate_status_entries (certificate_id) SELECT id FROM certificates ORDER BY created_at, id;
INSERT INTO certificate_status_lists (purpose, list_number, bits)
SELECT purpose, 0, decode(repeat('00', 16384), 'hex') FROM unnest(ARRAY['revocation', 'suspension']) AS purpose;
SELECT app_set_status_bit(p.purpose, e.status_list_index, true)
  FROM certificates c
  JOIN certificate_status_entries e ON e.certificate_id = c.id
  JOIN (VALUES ('revocation', 'REVOKED'), ('suspension', 'SUSPENDED')) AS p (purpose, status) ON p.status = c.status;
