DROP TRIGGER certificates_status_list_on_update ON certificates;
DROP TRIGGER certificates_status_list_on_insert ON certificates;
DROP FUNCTION certificates_publish_status();
DROP FUNCTION certificates_enter_status_lists();
DROP FUNCTION app_set_status_bit(text, bigint, boolean);
DROP TABLE certificate_status_lists;
DROP TABLE certificate_status_entries;
